export * from "./event_store.ts";
export * from "./open_store.ts";
export * from "./store_spec_error.ts";
export * from "./lease_consumer.ts";

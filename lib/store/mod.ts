/**
 * The event store's public surface: the EventStore contract, opening a store by its spec,
 * and the pieces backends share.
 */
export * from "./event_store.ts";
export * from "./open_store.ts";
export * from "./store_spec_error.ts";
export * from "./lease_consumer.ts";

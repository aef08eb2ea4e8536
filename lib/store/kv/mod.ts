export * from "./kv_event_store.ts";

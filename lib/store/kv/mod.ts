export { KvEventStore, type KvEventStoreOptions, openKvEventStore } from "./kv_event_store.ts";
export { BATCH_MAX_EVENTS, INLINE_PAYLOAD_BYTES } from "./layout.ts";

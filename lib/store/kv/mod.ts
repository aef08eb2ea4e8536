/** The Deno KV event store's public surface (`--store kv:PATH`): the store and its commit limits. */
export { KvEventStore, type KvEventStoreOptions, openKvEventStore } from "./kv_event_store.ts";
export { BATCH_MAX_EVENTS, INLINE_PAYLOAD_BYTES } from "./layout.ts";

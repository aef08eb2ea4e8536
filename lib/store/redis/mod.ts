export * from "./redis_event_store.ts";
export * from "./redis_url.ts";

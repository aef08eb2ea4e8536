/** The Redis event store (`--store redis://…`): a fleet of receivers and pull clients on one Redis. */
export {
  openRedisEventStore,
  RedisEventStore,
  type RedisEventStoreOptions,
} from "./redis_event_store.ts";
export * from "./redis_url.ts";

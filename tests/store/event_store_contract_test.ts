/**
 * The EventStore contract, run against every backend: Deno KV (the default), SQLite,
 * Redis, and the in-memory test store.
 */
import { openKvEventStore } from "../../lib/store/kv/mod.ts";
import { openRedisEventStore } from "../../lib/store/redis/mod.ts";
import { openSqliteEventStore } from "../../lib/store/sqlite/mod.ts";
import { eventStoreContract } from "../support/event_store_contract.ts";
import { MemoryEventStore } from "../support/memory_event_store.ts";
import { redisServerAvailable, startRedisServer } from "../support/redis_server.ts";

eventStoreContract("KvEventStore", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hookgate-kv-contract-" });
  const store = await openKvEventStore(`${dir}/events.kv`);
  return {
    store,
    async dispose() {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
});

eventStoreContract("SqliteEventStore", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hookgate-sqlite-contract-" });
  const store = await openSqliteEventStore(`${dir}/events.db`);
  return {
    store,
    async dispose() {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
});

eventStoreContract("MemoryEventStore", () => {
  const store = new MemoryEventStore();
  return Promise.resolve({ store, dispose: () => store.close() });
});

eventStoreContract("RedisEventStore", async () => {
  const server = await startRedisServer();
  try {
    const store = await openRedisEventStore(server.url, {
      visibilityTimeoutMs: 5_000,
      blockMs: 200,
    });
    return {
      store,
      async dispose() {
        await store.close();
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}, { ignore: !redisServerAvailable() });

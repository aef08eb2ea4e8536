/** Fixtures for tests of the Redis store: a test with its own redis-server, stores that close themselves. */
import type { IncomingEvent } from "../../lib/store/mod.ts";
import {
  openRedisEventStore,
  type RedisEventStore,
  type RedisEventStoreOptions,
} from "../../lib/store/redis/mod.ts";
import {
  type RedisServer,
  redisServerAvailable,
  type StartRedisOptions,
  startRedisServer,
} from "./redis_server.ts";
import { closing } from "./closing.ts";

export const redisMissing = !redisServerAvailable();

/** A test that gets its own redis-server, stopped however the test ends. */
export function redisTest(
  name: string,
  fn: (server: RedisServer) => Promise<void>,
  serverOptions: StartRedisOptions = {},
): void {
  Deno.test({
    name,
    ignore: redisMissing,
    // Stores and the client library keep timers and sockets until their close() settles.
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      await using server = await startRedisServer(serverOptions);
      await fn(server);
    },
  });
}

/** A store that closes itself at the end of its scope (`await using`). */
export async function openStore(
  spec: string,
  options: RedisEventStoreOptions = {},
): Promise<RedisEventStore & AsyncDisposable> {
  return closing(await openRedisEventStore(spec, options));
}

/** A fresh event with a unique id, received now. */
export function incomingEvent(label: string, route = "webhook"): IncomingEvent {
  const id = `${label}_${crypto.randomUUID()}`;
  return {
    route,
    key: `id:${id}`,
    id,
    payload: new TextEncoder().encode(JSON.stringify({ id })),
    receivedAtMs: Date.now(),
    retentionMs: 600_000,
  };
}

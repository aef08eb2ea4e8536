/**
 * Opening the store a spec names (`kv:PATH`, `redis://…`). The Redis backend is imported only
 * when asked for, so the embedded default loads no Redis code.
 */
import type { EventStore } from "./event_store.ts";
import { openKvEventStore } from "./kv/mod.ts";
import { StoreSpecError } from "./store_spec_error.ts";
import { errorMessage, preparePrivateKvFile } from "../util/mod.ts";

export interface OpenStoreOptions {
  /** Where `kv:` stores live by default (`--data-dir`). */
  dataDir: string;
  /** The clock, in milliseconds. */
  now?: () => number;
  /** REDIS_PASSWORD, for `redis://` specs (keeps the password out of argv). */
  redisPassword?: string;
  /** Where a backend's start-up warnings go (e.g. Redis without durable AOF). */
  warn?: (line: string) => void;
}

/** The store spec `serve` uses when none is given. */
export function defaultStoreSpec(dataDir: string): string {
  return `kv:${dataDir}/hookgate.kv`;
}

/**
 * Opens the event store a spec names: `kv:PATH` (Deno KV file, the default
 * `kv:<dataDir>/hookgate.kv`) or `redis://…` / `rediss://…` (loaded only when
 * asked for, so the embedded default pulls in no Redis code). An unknown spec
 * throws a StoreSpecError whose message says what is accepted.
 */
export async function openStore(spec: string, options: OpenStoreOptions): Promise<EventStore> {
  const now = options.now ? { now: options.now } : {};
  const warn = options.warn;
  const kv = {
    ...now,
    ...(warn ? { onError: (error: unknown) => warn(`event store: ${errorMessage(error)}`) } : {}),
  };
  if (spec === "" || spec === "kv" || spec === "kv:" || spec.startsWith("kv:")) {
    const path = spec.length > "kv:".length
      ? spec.slice("kv:".length)
      : `${options.dataDir}/hookgate.kv`;
    await preparePrivateKvFile(path);
    return await openKvEventStore(path, kv);
  }
  if (spec.startsWith("redis://") || spec.startsWith("rediss://")) {
    const { openRedisEventStore } = await import("./redis/mod.ts");
    return await openRedisEventStore(spec, {
      ...(options.redisPassword === undefined ? {} : { password: options.redisPassword }),
      ...(options.warn ? { warn: options.warn } : {}),
    });
  }
  throw new StoreSpecError(
    `unknown store '${spec.split(/[/:]/)[0]}': use kv:PATH or redis://HOST:PORT`,
  );
}

/**
 * Opening the store a spec names (`kv:PATH`, `sqlite:PATH`, `redis://…`). The Redis and SQLite
 * backends are imported only when asked for, so the embedded default loads neither.
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
 * The file a local store spec names (`kv`, `kv:PATH`, `sqlite`, `sqlite:PATH`; a bare engine
 * name means its default file in the data dir), or null for a store that is not a local file.
 */
export function localStoreFile(spec: string, dataDir: string): string | null {
  const engines: [string, string][] = [["kv", "hookgate.kv"], ["sqlite", "hookgate.db"]];
  for (const [engine, file] of engines) {
    if (spec === engine || spec === `${engine}:`) return `${dataDir}/${file}`;
    if (spec.startsWith(`${engine}:`)) return spec.slice(engine.length + 1);
  }
  return null;
}

/**
 * Opens the event store a spec names: `kv:PATH` (Deno KV file, the default
 * `kv:<dataDir>/hookgate.kv`), `sqlite:PATH` (one SQLite file, `sqlite` alone:
 * `<dataDir>/hookgate.db`) or `redis://…` / `rediss://…` (both loaded only when
 * asked for, so the embedded default pulls in neither). An unknown spec
 * throws a StoreSpecError whose message says what is accepted.
 */
export async function openStore(spec: string, options: OpenStoreOptions): Promise<EventStore> {
  const now = options.now ? { now: options.now } : {};
  const warn = options.warn;
  const kv = {
    ...now,
    ...(warn ? { onError: (error: unknown) => warn(`event store: ${errorMessage(error)}`) } : {}),
  };
  const file = localStoreFile(spec === "" ? "kv" : spec, options.dataDir);
  if (file !== null) {
    await preparePrivateKvFile(file);
    if (!spec.startsWith("sqlite")) return await openKvEventStore(file, kv);
    const { openSqliteEventStore } = await import("./sqlite/mod.ts");
    return await openSqliteEventStore(file, kv);
  }
  if (spec.startsWith("redis://") || spec.startsWith("rediss://")) {
    const { openRedisEventStore } = await import("./redis/mod.ts");
    return await openRedisEventStore(spec, {
      ...(options.redisPassword === undefined ? {} : { password: options.redisPassword }),
      ...(options.warn ? { warn: options.warn } : {}),
    });
  }
  throw new StoreSpecError(
    `unknown store '${spec.split(/[/:]/)[0]}': use kv:PATH, sqlite:PATH or redis://HOST:PORT`,
  );
}

/**
 * Opening the store a spec names (`sqlite:PATH`, `kv:PATH`, `redis://…`). Each backend is
 * imported only when asked for, so a command loads the code of one store only.
 */
import { dirname } from "node:path";
import type { EventStore } from "./event_store.ts";
import { StoreSpecError } from "./store_spec_error.ts";
import { errorMessage, preparePrivateDbFile } from "../util/mod.ts";

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

/**
 * The store spec used when none is given: the SQLite file in the data dir, or the Deno KV
 * file an earlier hookgate made there (it keeps its events, pending ones included, and goes
 * on being used until it is moved by hand).
 */
export function defaultStoreSpec(dataDir: string): string {
  const sqlite = `${dataDir}/hookgate.db`;
  const kv = `${dataDir}/hookgate.kv`;
  return fileExists(kv) && !fileExists(sqlite) ? `kv:${kv}` : `sqlite:${sqlite}`;
}

/**
 * A local store is a file: an in-memory database (`:memory:`) or a `file:` URI would lose
 * what it acknowledged at exit, or open something other than the path shown. A directory,
 * or a file in a directory that does not exist, is a mistake said plainly.
 */
function refuseNonFile(spec: string, file: string): void {
  if (file === ":memory:" || file.startsWith("file:")) {
    throw new StoreSpecError(
      `'${spec}' does not name a file: an event store must survive a restart, so name a ` +
        "path, e.g. sqlite:.hookgate/hookgate.db",
    );
  }
  if (isDirectory(file)) {
    const engine = spec.slice(0, spec.indexOf(":"));
    const example = `${file.replace(/\/+$/, "")}/hookgate.${engine === "kv" ? "kv" : "db"}`;
    throw new StoreSpecError(
      `'${spec}' names a directory: name a file in it, e.g. ${engine}:${example}`,
    );
  }
  const dir = dirname(file);
  if (!fileExists(file) && !isDirectory(dir)) {
    throw new StoreSpecError(
      `'${spec}': the directory ${dir} does not exist: create it first (mkdir -p ${dir}), ` +
        "or name a file in an existing one",
    );
  }
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** Whether `path` exists; a path that cannot be looked at counts as absent (opening it says why). */
function fileExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
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
 * Opens the event store a spec names: `sqlite:PATH` (one SQLite file; `sqlite` alone:
 * `<dataDir>/hookgate.db`), `kv:PATH` (a Deno KV file; `kv` alone: `<dataDir>/hookgate.kv`),
 * `redis://…` / `rediss://…`, or "" for `defaultStoreSpec`. An unknown spec throws a
 * StoreSpecError whose message says what is accepted.
 */
export async function openStore(spec: string, options: OpenStoreOptions): Promise<EventStore> {
  const now = options.now ? { now: options.now } : {};
  const warn = options.warn;
  const kv = {
    ...now,
    ...(warn ? { onError: (error: unknown) => warn(`event store: ${errorMessage(error)}`) } : {}),
  };
  const chosen = spec === "" ? defaultStoreSpec(options.dataDir) : spec;
  const file = localStoreFile(chosen, options.dataDir);
  if (file !== null) {
    refuseNonFile(chosen, file);
    const engine = chosen.startsWith("sqlite") ? "sqlite" : "kv";
    const sqlite = await import("./sqlite/mod.ts");
    // Before its mode changes, before WAL, before Deno KV adds its tables: a file named by
    // mistake is left as it was.
    const wrong = sqlite.wrongFileMessage(file, engine, sqlite.storeFileKind(file));
    if (wrong !== null) throw new StoreSpecError(wrong);
    await preparePrivateDbFile(file);
    if (engine === "sqlite") return await sqlite.openSqliteEventStore(file, kv);
    const { openKvEventStore } = await import("./kv/mod.ts");
    return await openKvEventStore(file, kv);
  }
  if (spec.startsWith("redis://") || spec.startsWith("rediss://")) {
    const { openRedisEventStore } = await import("./redis/mod.ts");
    return await openRedisEventStore(spec, {
      ...(options.redisPassword === undefined ? {} : { password: options.redisPassword }),
      ...(options.warn ? { warn: options.warn } : {}),
    });
  }
  throw new StoreSpecError(
    `unknown store '${spec.split(/[/:]/)[0]}': use sqlite:PATH, kv:PATH or redis://HOST:PORT`,
  );
}

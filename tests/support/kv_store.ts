/**
 * Fixtures for tests of the Deno KV store: a KV file in a temporary directory,
 * stores that close themselves, and a KV whose commits are counted, held back or
 * made to fail with "database is locked".
 */
import type { EventStore, StoredEvent } from "../../lib/store/mod.ts";
import {
  KvEventStore,
  type KvEventStoreOptions,
  openKvEventStore,
} from "../../lib/store/kv/mod.ts";
import { closing } from "./closing.ts";
import { tempDir } from "./temp_dir.ts";
import { waitFor } from "./wait.ts";

/** The path of a KV file in a temporary directory that is removed on dispose. */
export interface KvFile extends AsyncDisposable {
  path: string;
}

export async function kvFile(prefix = "hookgate-kv-"): Promise<KvFile> {
  const dir = await tempDir(prefix);
  return {
    path: `${dir.path}/hookgate.kv`,
    [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose](),
  };
}

/** A KvEventStore on the file at `path` that closes itself at the end of its scope. */
export async function openKvStore(
  path: string,
  options: KvEventStoreOptions = {},
): Promise<KvEventStore & AsyncDisposable> {
  return closing(await openKvEventStore(path, options));
}

/** What a test can see and steer of an instrumented KV's commits. */
export interface CommitControl {
  /** Commits that went through. */
  commits: number;
  /** Commits begun, including held and failed ones. */
  committing: number;
  /** The next this many commits throw "database is locked". */
  lockedFailuresLeft: number;
  /** While set, every commit waits for it first. */
  hold: Promise<void> | null;
}

/** A real KV file whose commits are counted and can be held back or made to fail. */
export async function instrumentedKv(
  path: string,
): Promise<{ kv: Deno.Kv; control: CommitControl }> {
  const kv = await Deno.openKv(path);
  const control: CommitControl = { commits: 0, committing: 0, lockedFailuresLeft: 0, hold: null };
  const atomic = kv.atomic.bind(kv);
  kv.atomic = () => {
    const op = atomic();
    const commit = op.commit.bind(op);
    op.commit = async () => {
      control.committing++;
      await control.hold;
      if (control.lockedFailuresLeft > 0) {
        control.lockedFailuresLeft--;
        throw new TypeError("database is locked");
      }
      control.commits++;
      return commit();
    };
    return op;
  };
  return { kv, control };
}

/** A KvEventStore on an instrumented KV file; closes itself at the end of its scope. */
export async function instrumentedStore(path: string, options: KvEventStoreOptions = {}) {
  const { kv, control } = await instrumentedKv(path);
  const store = new KvEventStore(kv, options);
  return { store, control, [Symbol.asyncDispose]: () => store.close() };
}

/** A store whose commits wait until `release()` is called (at the latest when it is disposed). */
export async function heldStore(path: string, commitsInFlight: number) {
  const kv = await instrumentedStore(path, { commitsInFlight });
  let release = () => {};
  kv.control.hold = new Promise((resolve) => release = resolve);
  return {
    ...kv,
    release: () => release(),
    [Symbol.asyncDispose]() {
      release();
      return kv[Symbol.asyncDispose]();
    },
  };
}

/** How many keys under `prefix` the KV file at `path` holds. */
export async function countKeys(path: string, prefix: Deno.KvKey = []): Promise<number> {
  const kv = await Deno.openKv(path);
  try {
    let n = 0;
    for await (const _ of kv.list({ prefix })) n++;
    return n;
  } finally {
    kv.close();
  }
}

/** Waits (with a deadline) until the event `route`/`key` has `status`. */
export async function untilStatus(
  store: EventStore,
  key: string,
  status: StoredEvent["status"],
  route = "webhook",
): Promise<void> {
  const reached = await waitFor(
    async () => (await store.get(route, key))?.status === status,
    10_000,
    5,
  );
  if (!reached) throw new Error(`timed out waiting until ${route}/${key} is ${status}`);
}

/**
 * Runs a consumer until it has handed out one event (or `limitMs` passed) and
 * answers every event it handed out: one, unless the store handed out more.
 */
export async function handOutOne(store: EventStore, limitMs = 5_000): Promise<StoredEvent[]> {
  const stop = new AbortController();
  const giveUp = setTimeout(() => stop.abort(), limitMs);
  const seen: StoredEvent[] = [];
  try {
    await store.consume((event) => {
      seen.push(event);
      stop.abort();
      return Promise.resolve({ ok: true });
    }, { signal: stop.signal, maxAttempts: 3, retryDelayMs: () => 10, concurrency: 1 });
  } finally {
    clearTimeout(giveUp);
  }
  return seen;
}

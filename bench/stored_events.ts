/** Counts the events a benchmark run left in its store (pending, done and dead). */
import { defaultStoreSpec, type EventStatus, openStore } from "../lib/store/mod.ts";
import { DatabaseSync } from "node:sqlite";
import { countKeys } from "../tests/support/kv_store.ts";

/** `spec` defaults to the data dir's own store file; a `redis://` spec counts the fleet's shared store. */
export async function countStoredEvents(dataDir: string, spec?: string): Promise<number> {
  const counts = await countEventsByStatus(dataDir, spec);
  return counts.pending + counts.done + counts.dead;
}

/** The events a run left in its store, by status (`done`: handed off and settled). */
export async function countEventsByStatus(
  dataDir: string,
  spec?: string,
): Promise<Record<EventStatus, number>> {
  const store = await openStore(spec ?? defaultStoreSpec(dataDir), { dataDir });
  try {
    const counts = { pending: 0, done: 0, dead: 0 };
    for (const status of ["pending", "done", "dead"] satisfies EventStatus[]) {
      counts[status] = (await store.list({ status, limit: 100_000_000 })).length;
    }
    return counts;
  } finally {
    await store.close();
  }
}

/**
 * Counts the event records (the claims) a run of another checkout (`--tree`) left, by reading
 * its file directly, whose layout may differ from what this store reads: the rows of a SQLite
 * store's `event` table, or the event keys of a Deno KV one.
 */
export async function countEventRecords(dataDir: string): Promise<number> {
  const names = [...Deno.readDirSync(dataDir)].map((entry) => entry.name);
  if (names.includes("hookgate.db")) return countRows(`${dataDir}/hookgate.db`);
  return await countKeys(`${dataDir}/hookgate.kv`, ["hookgate", "event"]);
}

/** The events a durable floor reference (bench/durable_floor_server.ts) left in its data dir. */
export async function countFloorEvents(dataDir: string): Promise<number> {
  const names = [...Deno.readDirSync(dataDir)].map((entry) => entry.name);
  if (names.includes("floor.kv")) {
    return await countKeys(`${dataDir}/floor.kv`, ["hookgate", "event"]);
  }
  return names.includes("floor.db") ? countRows(`${dataDir}/floor.db`) : 0;
}

/** The rows of the `event` table of a SQLite file. */
function countRows(path: string): number {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const row = db.prepare("SELECT count(*) AS n FROM event").get() as { n: number };
    return Number(row.n);
  } finally {
    db.close();
  }
}

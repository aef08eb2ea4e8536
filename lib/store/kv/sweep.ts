/**
 * Housekeeping while a consumer runs: payload chunks nobody needs any more, and
 * (once per file) the adoption of events written by the queue-based layout,
 * which kept pending events only in Deno's queue and had no index keys.
 */
import {
  commitGroups,
  type EventRecord,
  LAYOUT_KEY,
  LAYOUT_VERSION,
  type OrphanValue,
  putRecord,
  recordKey,
  ROOT,
} from "./layout.ts";
import type { LockedKv } from "./locked_kv.ts";

/**
 * Deletes payload chunks nobody needs any more: unclaimed ones (a lost race,
 * a crash before the claim) and those of done events past retention. A chunk
 * set whose event is pending or dead again (redeliver) is kept.
 */
export async function sweepChunks(kv: LockedKv, nowMs: number): Promise<number> {
  let removed = 0;
  for (const marker of await kv.list<OrphanValue>({ prefix: [ROOT, "orphan"] })) {
    if (marker.value.expiresAtMs > nowMs) continue;
    const blobId = marker.key[2] as string;
    const { route, key } = marker.value;
    const record = route !== null && key !== null
      ? await kv.get<EventRecord>(recordKey(route, key))
      : null;
    const owned = record?.value !== null && record?.value !== undefined &&
      record.value.blob?.id === blobId;
    if (owned && record.value?.status !== "done") {
      // Revived (redeliver): the chunks stay; only the marker goes.
      await kv.commit((op) => op.check(marker).delete(marker.key));
      continue;
    }
    const chunks = await kv.list({ prefix: [ROOT, "blob", blobId] });
    const result = await kv.commit((op) => {
      op.check(marker).delete(marker.key);
      if (owned && record) op.check(record).delete(record.key);
      for (const chunk of chunks) op.delete(chunk.key);
    });
    if (result.ok) removed++;
  }
  return removed;
}

/** Records read per page while adopting an older file. */
const ADOPT_PAGE = 500;

/**
 * Gives every record of an older file its index keys (pending ones become due
 * now) and drops the parked queue messages of that layout. Runs once per file:
 * the layout mark is set at the end, and at once on a file without records, so
 * a file this code created is never read whole.
 */
export async function adoptOlderLayout(kv: LockedKv, nowMs: number): Promise<number> {
  const layout = await kv.get<number>(LAYOUT_KEY);
  if (layout.value === LAYOUT_VERSION) return 0;
  let adopted = 0;
  // A page at a time: an older file may hold more records than fit in memory at once.
  for await (const page of kv.pages<EventRecord>([ROOT, "event"], { limit: ADOPT_PAGE })) {
    const older = page.filter((entry) => entry.value.dueAtMs === undefined);
    for (const group of commitGroups(older, (entry) => entry.value)) {
      const result = await kv.commit((op) => {
        for (const entry of group) {
          op.check(entry);
          const record: EventRecord = { ...entry.value, dueAtMs: nowMs, leaseId: null };
          // null as previous: the record had no index keys to move.
          putRecord(op, record, null);
        }
      });
      if (result.ok) adopted += group.length;
    }
  }
  for (const parked of await kv.list({ prefix: [ROOT, "undelivered"] })) {
    await kv.commit((op) => op.check(parked).delete(parked.key));
  }
  await kv.commit((op) => op.set(LAYOUT_KEY, LAYOUT_VERSION));
  return adopted;
}

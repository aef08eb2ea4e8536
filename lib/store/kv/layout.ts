/*
 * The key layout of the Deno KV file (every key starts with "hookgate"):
 *
 *   ["hookgate","event",route,key]                 EventRecord, the claim itself
 *                                                  (done: expires after retention)
 *   ["hookgate","due",dueAtMs,route,key]           EventRecord: the inbox, one key per pending
 *                                                  event, ordered by when it is due; its value
 *                                                  is the live state (attempts, the lease)
 *   ["hookgate","listed",status,receivedAtMs,route,key]  1: done and dead events, for list()
 *   ["hookgate","blob",blobId,i]                   Uint8Array chunk of a large payload
 *   ["hookgate","orphan",blobId]                   OrphanValue: "these chunks may be swept"
 *   ["hookgate","alias",route,alias]               {expiresAtMs}: a further claim of an event
 *                                                  (IncomingEvent.aliasKeys), expires with it
 *   ["hookgate","layout"]                          the layout version of this file
 *
 * While an event is pending, its due key holds the whole record, so leasing it
 * is one write to that key and no read of the record: the lease (id, expiry,
 * attempt) lives only there. The record itself changes only with the state:
 * accepted, retried (a new due time), done, dead, redelivered — always in one
 * commit with its index keys, through putRecord().
 *
 * Limits of one atomic commit on Deno 2.9.6 (tests pin them): at most 100 checks,
 * 1000 mutations, 819,200 bytes of keys + values, 65,536 bytes per value.
 */
import type { EventStatus, StoredEvent } from "../event_store.ts";

export const ROOT = "hookgate";
/** Payloads up to this size are stored in the record itself (value limit 64 KiB, minus metadata). */
export const INLINE_PAYLOAD_BYTES = 48 * 1024;
/** One check per event: the check limit (100) bounds a batch. */
export const BATCH_MAX_EVENTS = 100;
/** Keys + values of a batch, with headroom under the 819,200-byte commit limit. */
export const BATCH_MAX_BYTES = 700 * 1024;
export const PER_EVENT_OVERHEAD_BYTES = 512;
/** Keys per getMany (Deno KV reads at most 10 keys at once). */
export const READ_MANY_MAX = 10;
/** The layout this code writes: records carry dueAtMs and have their index keys. */
export const LAYOUT_VERSION = 2;

export interface BlobRef {
  id: string;
  chunks: number;
  bytes: number;
}

export interface EventRecord {
  route: string;
  key: string;
  id: string | null;
  receivedAtMs: number;
  retentionMs: number;
  attempt: number;
  status: EventStatus;
  lastError: string | null;
  payload: Uint8Array | null;
  blob: BlobRef | null;
  /** Pending: the time in its due key. Absent in files of the queue-based layout. */
  dueAtMs?: number;
  /** In the due key only: the lease holding the event, or null when nobody holds it. */
  leaseId?: string | null;
  /** In the due key only: when that lease runs out. */
  leaseExpiresAtMs?: number;
  updatedAtMs?: number;
}

export interface OrphanValue {
  expiresAtMs: number;
  route: string | null;
  key: string | null;
}

/**
 * An alias claim (IncomingEvent.aliasKeys): `{expiresAtMs}`, set in the accept commit of
 * the event that named it, expireIn its retention.
 */
export const aliasKey = (route: string, alias: string): Deno.KvKey => [ROOT, "alias", route, alias];
/** How an alias claim is remembered in the claim cache beside event keys. */
export const aliasMember = (alias: string): string => `alias\u0000${alias}`;
export const recordKey = (route: string, key: string): Deno.KvKey => [ROOT, "event", route, key];
export const dueKey = (dueAtMs: number, route: string, key: string): Deno.KvKey => [
  ROOT,
  "due",
  dueAtMs,
  route,
  key,
];
export const listedKey = (record: EventRecord): Deno.KvKey => [
  ROOT,
  "listed",
  record.status,
  record.receivedAtMs,
  record.route,
  record.key,
];
export const chunkKey = (
  blobId: string,
  index: number,
): Deno.KvKey => [ROOT, "blob", blobId, index];
export const orphanKey = (blobId: string): Deno.KvKey => [ROOT, "orphan", blobId];
export const LAYOUT_KEY: Deno.KvKey = [ROOT, "layout"];

/** How long an event's key stays claimed: retention from when it was received. */
export const claimExpiry = (event: { receivedAtMs: number; retentionMs: number }) =>
  event.receivedAtMs + event.retentionMs;

/**
 * Writes `next` in place of `previous` (null: no record yet) and moves its index
 * keys with it: the due key (holding the record, or `due` when its live state
 * differs, as for an event leased in its accept commit) while pending, the listed
 * key once done or dead. A done record and its listed key expire after the retention.
 */
export function putRecord(
  op: Deno.AtomicOperation,
  next: EventRecord,
  previous: EventRecord | null,
  due: EventRecord = next,
): void {
  const expiring = next.status === "done" ? { expireIn: next.retentionMs } : undefined;
  op.set(recordKey(next.route, next.key), next, expiring);
  const wasDue = previous?.status === "pending" ? previous.dueAtMs : undefined;
  const isDue = next.status === "pending" ? next.dueAtMs : undefined;
  if (wasDue !== undefined && wasDue !== isDue) op.delete(dueKey(wasDue, next.route, next.key));
  if (isDue !== undefined) op.set(dueKey(isDue, next.route, next.key), due);
  const wasListed = previous !== null && previous.status !== "pending" ? listedKey(previous) : null;
  const isListed = next.status !== "pending" ? listedKey(next) : null;
  // The same key twice in one commit is avoided: delete only a listed key that moves.
  if (wasListed !== null && (isListed === null || !sameKey(wasListed, isListed))) {
    op.delete(wasListed);
  }
  if (isListed !== null) op.set(isListed, 1, expiring);
}

function sameKey(a: Deno.KvKey, b: Deno.KvKey): boolean {
  return a.length === b.length && a.every((part, i) => part === b[i]);
}

/** A pending record is held by a lease that has not run out at `nowMs`. */
export function leased(record: EventRecord, nowMs: number): boolean {
  return typeof record.leaseId === "string" && (record.leaseExpiresAtMs ?? 0) > nowMs;
}

/**
 * Splits items into groups that fit one commit each: at most BATCH_MAX_EVENTS
 * (one check each) and BATCH_MAX_BYTES of values.
 */
export function commitGroups<T>(items: T[], recordOf: (item: T) => EventRecord): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    // Twice the payload: a pending record is written both as the record and in its due key.
    const size = 2 * (recordOf(item).payload?.length ?? 0) + PER_EVENT_OVERHEAD_BYTES;
    if (
      current.length > 0 && (current.length >= BATCH_MAX_EVENTS || bytes + size > BATCH_MAX_BYTES)
    ) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Splits `items` into runs of at most READ_MANY_MAX, the most one getMany reads. */
export function readChunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += READ_MANY_MAX) out.push(items.slice(i, i + READ_MANY_MAX));
  return out;
}

/** The stored event a handler sees, from its record and payload. */
export function storedEvent(record: EventRecord, payload: Uint8Array): StoredEvent {
  const event: StoredEvent = {
    route: record.route,
    key: record.key,
    id: record.id,
    payload,
    receivedAtMs: record.receivedAtMs,
    attempt: record.attempt,
    status: record.status,
    lastError: record.lastError,
  };
  if (record.updatedAtMs !== undefined) event.updatedAtMs = record.updatedAtMs;
  if (record.status === "pending" && record.dueAtMs !== undefined) {
    event.nextAttemptAtMs = record.dueAtMs;
  }
  return event;
}

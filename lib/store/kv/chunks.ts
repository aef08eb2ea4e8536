/**
 * Payloads larger than INLINE_PAYLOAD_BYTES (up to the 1 MiB body cap) cannot
 * fit one commit with their record: their chunks are written first under a fresh
 * blob id, together with an orphan marker; the claim commit then checks that
 * marker (so a sweep cannot have removed the chunks) and deletes it. If the claim
 * loses (duplicate) or the process dies in between, the marker expires and the
 * sweep deletes the chunks. When an event is done, the marker is set again (with
 * its route/key) so its chunks go with the expiring record.
 */
import { type BlobRef, chunkKey, type EventRecord, orphanKey, type OrphanValue } from "./layout.ts";
import type { LockedKv } from "./locked_kv.ts";

const CHUNK_BYTES = 60 * 1024;
/** Chunks written per commit: 10 × 60 KiB stays under the 800 KiB commit limit. */
const CHUNKS_PER_COMMIT = 10;
/** How long unclaimed chunks live before a sweep may remove them. */
export const ORPHAN_TTL_MS = 10 * 60_000;

/** Chunks written and waiting for their claim: the claim checks the marker's version. */
export interface WrittenBlob {
  ref: BlobRef;
  markerVersionstamp: string;
}

/** Writes `payload`'s chunks and their orphan marker, ready for a claim to adopt. */
export async function writeChunks(
  kv: LockedKv,
  payload: Uint8Array,
  nowMs: number,
): Promise<WrittenBlob> {
  const ref: BlobRef = {
    id: crypto.randomUUID(),
    chunks: Math.ceil(payload.length / CHUNK_BYTES),
    bytes: payload.length,
  };
  const marker: OrphanValue = { expiresAtMs: nowMs + ORPHAN_TTL_MS, route: null, key: null };
  let markerVersionstamp = "";
  for (let first = 0; first < ref.chunks; first += CHUNKS_PER_COMMIT) {
    const result = await kv.commit((op) => {
      if (first === 0) op.set(orphanKey(ref.id), marker);
      const last = Math.min(ref.chunks, first + CHUNKS_PER_COMMIT);
      for (let i = first; i < last; i++) {
        op.set(
          chunkKey(ref.id, i),
          payload.subarray(i * CHUNK_BYTES, Math.min((i + 1) * CHUNK_BYTES, ref.bytes)),
        );
      }
    });
    if (!result.ok) throw new Error("writing payload chunks failed");
    if (first === 0) markerVersionstamp = result.versionstamp;
  }
  return { ref, markerVersionstamp };
}

/** Adds to a claim commit: the chunks' marker must be unchanged, and goes. */
export function adoptChunks(op: Deno.AtomicOperation, blob: WrittenBlob): void {
  op.check({ key: orphanKey(blob.ref.id), versionstamp: blob.markerVersionstamp })
    .delete(orphanKey(blob.ref.id));
}

/** Adds to a done commit: the chunks may go once the record has expired. */
export function releaseChunks(op: Deno.AtomicOperation, record: EventRecord, nowMs: number): void {
  if (record.blob === null) return;
  const marker: OrphanValue = {
    expiresAtMs: nowMs + record.retentionMs,
    route: record.route,
    key: record.key,
  };
  op.set(orphanKey(record.blob.id), marker);
}

/** The record's payload: inline, or reassembled from its chunks; null if chunks are missing. */
export async function readPayload(kv: LockedKv, record: EventRecord): Promise<Uint8Array | null> {
  if (record.payload) return record.payload;
  const blob = record.blob;
  if (!blob) return new Uint8Array(0);
  const out = new Uint8Array(blob.bytes);
  let offset = 0;
  for (let i = 0; i < blob.chunks; i++) {
    const chunk = await kv.get<Uint8Array>(chunkKey(blob.id, i));
    if (chunk.value === null) return null;
    out.set(chunk.value, offset);
    offset += chunk.value.length;
  }
  return out;
}

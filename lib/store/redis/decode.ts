/** Reading what Redis returns: the one place a stored event hash becomes a StoredEvent. */
import { Buffer } from "node:buffer";
import type { EventStatus, StoredEvent } from "../event_store.ts";

export function text(value: unknown): string {
  if (value === null || value === undefined) return "";
  return Buffer.isBuffer(value) ? value.toString("utf8") : String(value);
}

function bytes(value: unknown): Uint8Array {
  if (Buffer.isBuffer(value)) return new Uint8Array(value.buffer, value.byteOffset, value.length);
  return new TextEncoder().encode(text(value));
}

/** A flat `[field, value, …]` reply (HGETALL inside a script) as a record. */
export function fieldsOf(reply: unknown): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) {
    out[text(reply[i])] = reply[i + 1] as Buffer;
  }
  return out;
}

function isStatus(value: string): value is EventStatus {
  return value === "pending" || value === "done" || value === "dead";
}

/** The event an `{prefix}:e:…` hash holds, or null when the hash is gone or not an event. */
export function decodeEvent(hash: Record<string, unknown>): StoredEvent | null {
  const status = text(hash.status);
  if (!isStatus(status)) return null;
  const updatedAtMs = Number(text(hash.updatedAtMs));
  return {
    route: text(hash.route),
    key: text(hash.key),
    id: text(hash.hasId) === "1" ? text(hash.id) : null,
    payload: bytes(hash.payload ?? Buffer.alloc(0)),
    receivedAtMs: Number(text(hash.receivedAtMs)),
    attempt: Number(text(hash.attempt)),
    status,
    lastError: text(hash.hasError) === "1" ? text(hash.lastError) : null,
    ...(updatedAtMs > 0 ? { updatedAtMs } : {}),
  };
}

/** Every field of an event's hash that decodeEvent reads, but the payload. */
export const SUMMARY_FIELDS = [
  "status",
  "route",
  "key",
  "hasId",
  "id",
  "receivedAtMs",
  "attempt",
  "hasError",
  "lastError",
  "updatedAtMs",
] as const;

/**
 * An event read as a summary: HMGET of SUMMARY_FIELDS, in order, and HSTRLEN of its payload.
 * The payload is left empty and its size given in `payloadBytes`.
 */
export function summaryOf(values: readonly unknown[], payloadBytes: number): StoredEvent | null {
  const hash: Record<string, unknown> = {};
  SUMMARY_FIELDS.forEach((field, i) => {
    if (values[i] !== null && values[i] !== undefined) hash[field] = values[i];
  });
  const event = decodeEvent(hash);
  if (event === null) return null;
  return { ...event, payloadBytes };
}

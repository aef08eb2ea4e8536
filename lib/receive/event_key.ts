/**
 * Gate 3's key: which event a delivery is (`id:`, `idu16:` or `sha256:`), derived the same
 * way for every scheme, so a replay maps to the same key however it is sent.
 */
import { createHash } from "node:crypto";
import { fail, ok, type Result, utf8 } from "../util/mod.ts";

/** The longest id accepted, in UTF-8 bytes: keys stay far below Deno KV's 2 KiB key limit. */
export const MAX_ID_BYTES = 256;
/**
 * The longest event key there can be, in UTF-8 bytes: `idu16:` and four hex digits for each
 * UTF-16 code unit of an id of MAX_ID_BYTES (a code unit takes at least one byte).
 */
export const MAX_EVENT_KEY_BYTES = "idu16:".length + 4 * MAX_ID_BYTES;

export interface EventKey {
  /**
   * `id:<id>`, `idu16:<hex of the id's UTF-16 code units>` for an id that is not
   * well-formed Unicode (a lone surrogate would not survive UTF-8 in the store, so two
   * such ids would share a key), or `sha256:<hex of the signed content>`.
   */
  key: string;
  /** The sender's id, or null when the key is a digest. */
  id: string | null;
}

export interface EventKeyOptions {
  /** The id a scheme carries in a header (Standard Webhooks, GitHub); it wins over the body. */
  headerId: string | null;
  /** Exactly the bytes the MAC covered: an id-less exact replay digests to the same key. */
  signedContent: Uint8Array;
}

/**
 * Gate 3's key for a verified payload. The body's "id" must be a non-empty
 * string of at most 256 bytes without a NUL, or a safe integer; any other type is a reason
 * (400), never a silent fallback to the digest, so a sender bug cannot turn
 * into duplicate processing.
 */
export function eventKey(
  payload: Record<string, unknown>,
  options: EventKeyOptions,
): Result<EventKey> {
  return idEventKey(payload, options.headerId) ??
    ok({ key: digestKey(options.signedContent), id: null });
}

/** The key from the delivery's id (header first, then the body's), or null when it has none. */
function idEventKey(
  payload: Record<string, unknown>,
  headerId: string | null,
): Result<EventKey> | null {
  if (headerId !== null) {
    const checked = checkIdString(headerId);
    return checked.ok ? ok({ key: idKey(checked.value), id: checked.value }) : checked;
  }
  if (!Object.hasOwn(payload, "id")) return null;
  const raw = payload.id;
  if (typeof raw === "number") {
    if (!Number.isSafeInteger(raw)) return fail("id must be a string or an integer");
    return ok({ key: `id:${raw}`, id: String(raw) });
  }
  if (typeof raw !== "string") return fail("id must be a string or an integer");
  const checked = checkIdString(raw);
  return checked.ok ? ok({ key: idKey(checked.value), id: checked.value }) : checked;
}

/** Whether `key` has the form of an event key (`id:`, `idu16:` or `sha256:`), not a bare id. */
export function looksLikeEventKey(key: string): boolean {
  return /^(?:id|idu16|sha256):/.test(key);
}

/**
 * The key of an id-less event, and the alias claimed beside a delivery id: `sha256:<hex>`.
 * The runtime's native SHA-256, synchronously: every GitHub delivery takes one.
 */
export function digestKey(signedContent: Uint8Array): string {
  return `sha256:${createHash("sha256").update(signedContent).digest("hex")}`;
}

/**
 * One key per distinct id. A well-formed id is kept as it is; one with a lone
 * surrogate is spelled out code unit by code unit under its own prefix, so it can
 * neither collapse into another id nor collide with a well-formed one.
 */
function idKey(id: string): string {
  if (id.isWellFormed()) return `id:${id}`;
  let hex = "";
  for (let i = 0; i < id.length; i++) hex += id.charCodeAt(i).toString(16).padStart(4, "0");
  return `idu16:${hex}`;
}

function checkIdString(raw: string): Result<string> {
  if (raw.length === 0) return fail("id must not be empty");
  // SQLite reads text back only up to a NUL: "n\0a" would come back as "n", another event's
  // id, and its hand-off could never be settled.
  if (raw.includes("\0")) return fail("id must not contain a NUL character");
  // A UTF-16 code unit takes at most 3 UTF-8 bytes: a short id needs no encoding to measure.
  if (raw.length * 3 > MAX_ID_BYTES && utf8(raw).length > MAX_ID_BYTES) {
    return fail(`id is longer than ${MAX_ID_BYTES} bytes`);
  }
  return ok(raw);
}

/**
 * The id a payload is sent under: kept when the JSON object has one, else spliced in as its
 * first member without re-serializing, so a retry is the same event to the receiver.
 */
import { errorMessage } from "../util/mod.ts";
import { concatBytes, fail, ok, type Result, utf8 } from "../util/mod.ts";

/** A payload ready to send: its exact bytes and the event id the receiver will dedupe on. */
export interface PayloadWithId {
  bytes: Uint8Array;
  id: string;
  /** True when the id was spliced in (the caller should say so). */
  added: boolean;
}

export interface EnsurePayloadIdOptions {
  /** An explicit id (`--id`): inserted when the payload has none, must match one it has. */
  id?: string;
  /** Source of randomness for a generated id; WebCrypto by default. */
  randomBytes?: (byteLength: number) => Uint8Array;
}

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
/** 15 bytes = 120 bits = exactly 24 base32 characters, so every character is uniform. */
const EVENT_ID_RANDOM_BYTES = 15;
/** Printable ASCII without leading or trailing space: safe in JSON, headers and signed content. */
const EVENT_ID = /^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** `evt_` + 24 random lowercase base32 characters (RFC 4648 alphabet, 120 bits). */
export function newEventId(
  randomBytes: (byteLength: number) => Uint8Array = defaultRandomBytes,
): string {
  const bytes = randomBytes(EVENT_ID_RANDOM_BYTES);
  let bits = 0;
  let value = 0;
  let out = "evt_";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

/** Whether a string can serve as an event id (printable ASCII, 1–255 characters). */
export function isValidEventId(id: string): boolean {
  return EVENT_ID.test(id);
}

/**
 * Makes sure a payload is a JSON object carrying a top-level "id", without
 * re-serializing it: the bytes that come back are the bytes given, except that
 * a missing id is spliced in as the first member. The signature covers exactly
 * these bytes, so nothing else may change.
 */
export function ensurePayloadId(
  payload: Uint8Array,
  options: EnsurePayloadIdOptions = {},
): Result<PayloadWithId> {
  const parsed = parseObject(payload);
  if (!parsed.ok) return parsed;
  if (options.id !== undefined && !isValidEventId(options.id)) {
    return fail(
      `--id must be 1 to 255 printable ASCII characters without leading or trailing spaces`,
    );
  }
  const object = parsed.value;
  if (Object.hasOwn(object, "id")) {
    const existing = existingId(object["id"]);
    if (!existing.ok) return existing;
    if (options.id !== undefined && options.id !== existing.value) {
      return fail(
        `--id '${options.id}' differs from the payload's "id" '${existing.value}': drop --id or ` +
          `change the payload (its bytes are sent as given, never re-serialized)`,
      );
    }
    return ok({ bytes: payload, id: existing.value, added: false });
  }
  const id = options.id ?? newEventId(options.randomBytes);
  return ok({ bytes: spliceFirstMember(payload, `"id":${JSON.stringify(id)}`), id, added: true });
}

function parseObject(payload: Uint8Array): Result<Record<string, unknown>> {
  let text: string;
  try {
    // ignoreBOM keeps a byte-order mark in the text, so JSON.parse rejects it as receivers do.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(payload);
  } catch {
    return fail("the payload is not valid UTF-8: send a JSON object encoded as UTF-8");
  }
  if (text.trim() === "") {
    return fail("the payload is empty: pass a JSON object with --data, --file or on stdin");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = errorMessage(error);
    return fail(
      `the payload is not valid JSON (${detail}): send a JSON object such as {"event":"push"}`,
    );
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const kind = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
    return fail(`the payload must be a JSON object ({...}), got ${kind}`);
  }
  return ok(value as Record<string, unknown>);
}

function existingId(value: unknown): Result<string> {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) {
    return ok(String(value));
  }
  if (typeof value === "string" && isValidEventId(value)) return ok(value);
  return fail(
    `the payload's "id" must be a string of 1 to 255 printable ASCII characters or a whole ` +
      `number: fix it, or remove it and let send add one`,
  );
}

/** Inserts `member` right after the object's `{` and the whitespace that follows it. */
function spliceFirstMember(payload: Uint8Array, member: string): Uint8Array {
  let at = 0;
  while (at < payload.length && WHITESPACE.has(payload[at] as number)) at++;
  if (payload[at] !== OPEN_BRACE) throw new Error("spliceFirstMember: not an object");
  at++;
  while (at < payload.length && WHITESPACE.has(payload[at] as number)) at++;
  const empty = payload[at] === CLOSE_BRACE;
  return concatBytes(
    payload.subarray(0, at),
    utf8(empty ? member : `${member},`),
    payload.subarray(at),
  );
}

function defaultRandomBytes(byteLength: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(byteLength));
}

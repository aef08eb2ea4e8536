/**
 * The Scheme interface every wire format implements, and the strict timestamp parsing they
 * share: a scheme turns headers into what the gates check, and signs for `hookgate send`.
 */
import type { HmacKey, Result } from "../util/mod.ts";

/** Why a delivery failed the first two gates; these are the exact 401 reasons. */
export type GateFailure =
  | "missing/invalid timestamp"
  | "timestamp outside allowed window"
  | "bad signature";

/** What a scheme reads from a request, before anything is trusted. */
export interface ParsedDelivery {
  /** Unix seconds, or null for a scheme without a timestamp (GitHub). */
  timestampSeconds: number | null;
  /** The event id carried in a header (Standard Webhooks, GitHub), or null. */
  headerId: string | null;
  /** Decoded candidate signatures; malformed entries are dropped, not thrown. */
  signatures: Uint8Array[];
  /** Exactly the bytes the MAC covers. */
  signedContent: Uint8Array;
}

export interface SignOptions {
  /** Every active key; a scheme that carries one signature signs with the first. */
  keys: HmacKey[];
  timestampSeconds: number;
  id: string;
}

/**
 * A wire format: a small adapter from headers to what the gates check, and back.
 * A new scheme changes no other one, but it is more than its module: the CLI's provider
 * set-up and help texts name each scheme (docs/architecture.md, "Where to change what").
 */
export interface Scheme {
  readonly name: string;
  /** Whether deliveries carry a timestamp (gate 1 applies). */
  readonly timestamped: boolean;
  /** The HMAC key bytes for a configured secret string (e.g. `whsec_` + base64). */
  secretBytes(secret: string): Result<Uint8Array>;
  /** Reads the headers. Fails only on a missing or malformed timestamp. */
  parse(headers: Headers, body: Uint8Array): Result<ParsedDelivery, GateFailure>;
  /** The headers that sign `body` (content-type excluded). */
  sign(body: Uint8Array, options: SignOptions): Record<string, string>;
}

/**
 * Unix seconds as the wire carries them: canonical ASCII digits only (no sign, no
 * leading zero), at most 12 of them. The signed text is the header exactly as sent, so
 * only a form that reads back to itself is accepted: `0<ts>` must not verify as `<ts>`.
 */
export function parseTimestampSeconds(raw: string | null): number | null {
  return raw !== null && /^(?:0|[1-9][0-9]{0,11})$/.test(raw) ? Number(raw) : null;
}

/**
 * HMAC-SHA256. Keys are imported once, at start-up, never per request.
 *
 * Signing and bearer tokens go through WebCrypto. The receive path checks with
 * `matchingSignature()`: the HMAC from lib/sha256.ts on pads hashed once at
 * import, then a timing-safe compare of equal-length bytes (design §1,
 * invariant 3). It is synchronous and about 2 µs for a small delivery, where
 * `crypto.subtle.verify` measured 13–30 µs a call on this machine (and
 * node:crypto's createHmac was slower still on the whole forged path), and
 * the expected MAC is computed once per key, not once per candidate signature.
 */
import {
  hmacSha256Bytes,
  type PreparedHmacKey,
  prepareHmacKey,
  timingSafeEqualBytes,
} from "./sha256.ts";

const SHA256_BYTES = 32;

/**
 * The prepared twin of each key importHmacKey() made. A WeakMap keyed by the
 * CryptoKey keeps it as opaque as the CryptoKey itself (no extractable key, no
 * secret in a visible field) and frees it with the key.
 */
const preparedKeys = new WeakMap<CryptoKey, PreparedHmacKey>();

export async function importHmacKey(secretBytes: Uint8Array): Promise<CryptoKey> {
  const key = await crypto.subtle.importKey(
    "raw",
    secretBytes as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
  // Only the hashed pads are kept: the caller may wipe or reuse its buffer.
  preparedKeys.set(key, prepareHmacKey(secretBytes));
  return key;
}

export async function hmacSha256(key: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.sign("HMAC", key, data as Uint8Array<ArrayBuffer>),
  );
}

/** Constant-time: WebCrypto compares the MAC itself; the expected value never leaves it. */
export function verifyHmacSha256(
  key: CryptoKey,
  signature: Uint8Array,
  data: Uint8Array,
): Promise<boolean> {
  return crypto.subtle.verify(
    "HMAC",
    key,
    signature as Uint8Array<ArrayBuffer>,
    data as Uint8Array<ArrayBuffer>,
  );
}

/**
 * Whether any candidate signature is the HMAC-SHA256 of `data` under any key.
 * Each comparison is a timing-safe compare of two 32-byte values (a candidate of
 * another length cannot match and is skipped without comparing), and every
 * candidate is compared against every key, so the time taken does not depend
 * on where, or whether, a match is. The expected MAC never leaves this function.
 */
export async function matchingSignature(
  keys: CryptoKey[],
  signatures: Uint8Array[],
  data: Uint8Array,
): Promise<boolean> {
  let matched = false;
  for (const key of keys) {
    const prepared = preparedKeys.get(key);
    if (prepared === undefined) {
      // A key from elsewhere (not importHmacKey): WebCrypto compares.
      for (const signature of signatures) {
        if (await verifyHmacSha256(key, signature, data)) matched = true;
      }
      continue;
    }
    if (signatures.length === 0) continue;
    const expected = hmacSha256Bytes(prepared, data);
    for (const signature of signatures) {
      if (signature.length === SHA256_BYTES && timingSafeEqualBytes(expected, signature)) {
        matched = true;
      }
    }
  }
  return matched;
}

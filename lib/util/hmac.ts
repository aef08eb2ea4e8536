/**
 * HMAC-SHA256 (RFC 2104) on the runtime's native SHA-256 (`node:crypto` createHash), and
 * its constant-time check.
 *
 * Why not WebCrypto's `crypto.subtle.verify`: each call is an asynchronous operation whose
 * arguments are serialized and whose answer comes back a turn of the event loop later, and
 * that wrapping, not the hash, is most of its cost. A verify is paid by every request a
 * receiver gets, forged or not, so it is the price of a forged flood; here it is two hashes
 * of the key's pads, prepared once when the key is imported, continued per message, with no
 * promise. docs/benchmarks.md has the measurement. The hash itself stays the runtime's
 * vetted implementation; only the textbook HMAC construction around it is here, and the
 * tests hold it to WebCrypto's and node's own HMAC for every key length.
 *
 * Constant time: the computed MAC is compared with the candidate over all 32 bytes with no
 * early exit (`sameBytes`), so the time taken says nothing about how much of a forged
 * signature was right. The computed MAC never leaves this module.
 */
import { createHash, type Hash } from "node:crypto";

/** SHA-256's block: a longer key is hashed first, a shorter one padded with zeros. */
const BLOCK_BYTES = 64;
const SHA256_BYTES = 32;

/**
 * A secret prepared for HMAC-SHA256: the hash states after the inner and the outer pad,
 * so a message costs its own bytes and one 32-byte block, never the key's again.
 */
export class HmacKey {
  readonly #inner: Hash;
  readonly #outer: Hash;

  constructor(secretBytes: Uint8Array) {
    if (secretBytes.length === 0) throw new Error("an HMAC key must not be empty");
    const block = new Uint8Array(BLOCK_BYTES);
    block.set(
      secretBytes.length > BLOCK_BYTES
        ? createHash("sha256").update(secretBytes).digest()
        : secretBytes,
    );
    const pad = new Uint8Array(BLOCK_BYTES);
    for (let i = 0; i < BLOCK_BYTES; i++) pad[i] = (block[i] as number) ^ 0x36;
    this.#inner = createHash("sha256").update(pad);
    for (let i = 0; i < BLOCK_BYTES; i++) pad[i] = (block[i] as number) ^ 0x5c;
    this.#outer = createHash("sha256").update(pad);
    block.fill(0);
    pad.fill(0);
  }

  /** HMAC-SHA256 of `data`. */
  mac(data: Uint8Array): Uint8Array {
    const inner = this.#inner.copy().update(data).digest();
    return this.#outer.copy().update(inner).digest();
  }

  /** Whether `signature` is the MAC of `data`, compared in constant time. */
  verify(signature: Uint8Array, data: Uint8Array): boolean {
    return signature.length === SHA256_BYTES && sameBytes(this.mac(data), signature);
  }

  /** Never the key: a key that reaches a log or a JSON dump says only what it is. */
  toJSON(): string {
    return "[HmacKey]";
  }
}

/** Prepares a secret once, at start-up; never per request. */
export function importHmacKey(secretBytes: Uint8Array): HmacKey {
  return new HmacKey(secretBytes);
}

export function hmacSha256(key: HmacKey, data: Uint8Array): Uint8Array {
  return key.mac(data);
}

/** Constant-time: see `sameBytes`. */
export function verifyHmacSha256(key: HmacKey, signature: Uint8Array, data: Uint8Array): boolean {
  return key.verify(signature, data);
}

/**
 * Whether two byte strings are equal, in a time that depends only on their length: every
 * byte is read, differences are OR-ed together, and nothing branches on their values.
 * Lengths are public (a candidate's came from the request, a MAC's is fixed).
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number);
  return difference === 0;
}

/**
 * Whether any candidate signature is the HMAC-SHA256 of `data` under any key. A candidate
 * that is not 32 bytes cannot match and is skipped (its length is public: it came from the
 * request). Every pair is checked, a match or not, so the time does not say which matched.
 */
export function matchingSignature(
  keys: readonly HmacKey[],
  signatures: readonly Uint8Array[],
  data: Uint8Array,
): boolean {
  // The usual delivery: one key, one signature, and one MAC to compute.
  if (keys.length === 1 && signatures.length === 1) {
    return (keys[0] as HmacKey).verify(signatures[0] as Uint8Array, data);
  }
  let matched = false;
  for (const key of keys) {
    let mac: Uint8Array | null = null;
    for (const signature of signatures) {
      if (signature.length !== SHA256_BYTES) continue;
      mac ??= key.mac(data);
      if (sameBytes(mac, signature)) matched = true;
    }
  }
  return matched;
}

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
 * signature was right. On the receive path the computed MAC never leaves this module
 * (`mac` is for signing).
 *
 * The construction leans on one behaviour of the runtime: `Hash.copy()` continues the
 * prepared state. Were it ever to start from scratch, every MAC would be a keyless double
 * hash anyone could compute, so the first key prepared in a process is checked against
 * RFC 4231's known answers, and a runtime that fails them is refused before any request.
 */
import { createHash, type Hash } from "node:crypto";

/** SHA-256's block: a longer key is hashed first, a shorter one padded with zeros. */
const BLOCK_BYTES = 64;
const SHA256_BYTES = 32;

/** RFC 4231 test cases 2 (a short key) and 6 (a key longer than the block): key, data, MAC. */
const KNOWN_ANSWERS: readonly [string, string, string][] = [
  [
    "4a656665",
    "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  ],
  [
    "aa".repeat(131),
    "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d20" +
    "48617368204b6579204669727374",
    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
  ],
];
let knownAnswersChecked = false;

/** Throws unless this runtime's HMAC gives RFC 4231's answers, twice over for each key. */
function checkKnownAnswers(): void {
  const bytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
  for (const [key, data, expected] of KNOWN_ANSWERS) {
    const pads = padStates(bytes(key));
    for (let i = 0; i < 2; i++) {
      if (!sameBytes(macOf(pads, bytes(data)), bytes(expected))) {
        throw new Error(
          "this runtime's SHA-256 fails HMAC-SHA256's known-answer test (RFC 4231), so " +
            "signatures cannot be checked: run hookgate on the Deno version it names",
        );
      }
    }
  }
  knownAnswersChecked = true;
}

/** The hash states after the key's inner and outer pads. */
interface PadStates {
  inner: Hash;
  outer: Hash;
}

function padStates(secretBytes: Uint8Array): PadStates {
  const block = new Uint8Array(BLOCK_BYTES);
  // A key longer than the block is replaced by its hash, which is as good as the key.
  const hashedKey = secretBytes.length > BLOCK_BYTES
    ? createHash("sha256").update(secretBytes).digest()
    : null;
  block.set(hashedKey ?? secretBytes);
  hashedKey?.fill(0);
  const pad = new Uint8Array(BLOCK_BYTES);
  for (let i = 0; i < BLOCK_BYTES; i++) pad[i] = (block[i] as number) ^ 0x36;
  const inner = createHash("sha256").update(pad);
  for (let i = 0; i < BLOCK_BYTES; i++) pad[i] = (block[i] as number) ^ 0x5c;
  const outer = createHash("sha256").update(pad);
  block.fill(0);
  pad.fill(0);
  return { inner, outer };
}

function macOf(pads: PadStates, data: Uint8Array): Uint8Array {
  const inner = pads.inner.copy().update(data).digest();
  return pads.outer.copy().update(inner).digest();
}

/**
 * A secret prepared for HMAC-SHA256: the hash states after the inner and the outer pad,
 * so a message costs its own bytes and one 32-byte block, never the key's again.
 */
export class HmacKey {
  readonly #pads: PadStates;

  constructor(secretBytes: Uint8Array) {
    if (!knownAnswersChecked) checkKnownAnswers();
    if (secretBytes.length === 0) throw new Error("an HMAC key must not be empty");
    this.#pads = padStates(secretBytes);
  }

  /** HMAC-SHA256 of `data`. */
  mac(data: Uint8Array): Uint8Array {
    return macOf(this.#pads, data);
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

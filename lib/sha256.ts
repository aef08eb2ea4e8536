/**
 * SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) in plain TypeScript, for the
 * receive path's signature check only.
 *
 * Why not WebCrypto or node:crypto there: measured on this 2-core machine, one
 * `crypto.subtle.verify` of a small delivery costs 13–30 µs on the main thread
 * and node:crypto's `createHmac` (a stream object per call) made the whole
 * forged-request path slower still, while this code takes about 2 µs: the
 * HMAC key's inner and outer pads are hashed once at start-up, so a small body
 * costs three compression rounds and no native call.
 *
 * Timing: every operation is 32-bit arithmetic on words, with no branch and no
 * table index that depends on the key or the data, only on the (public)
 * length. Checked against node:crypto and the RFC 4231 vectors in
 * tests/sha256_test.ts.
 */

const K = new Int32Array([
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
]);
const IV = new Int32Array([
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
]);
const BLOCK_BYTES = 64;
const DIGEST_BYTES = 32;
/**
 * Scratch space reused by every call (the functions are synchronous, so calls
 * never interleave): allocating them per call was a third of the HMAC's time.
 */
const SCHEDULE = new Int32Array(64);
const TAIL = new Uint8Array(2 * BLOCK_BYTES);

/** One compression round of `bytes[offset .. offset+64)` into `state`. */
function compress(state: Int32Array, bytes: Uint8Array, offset: number, w: Int32Array): void {
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4;
    w[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!;
  let e = state[4]!, f = state[5]!, g = state[6]!, h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

/**
 * Hashes `data` into `state`, which already absorbed `priorBytes` (a multiple
 * of 64), adds the padding, and writes the digest.
 */
function finish(state: Int32Array, data: Uint8Array, priorBytes: number): Uint8Array {
  const w = SCHEDULE;
  let offset = 0;
  for (; data.length - offset >= BLOCK_BYTES; offset += BLOCK_BYTES) {
    compress(state, data, offset, w);
  }
  const rest = data.length - offset;
  const tail = TAIL.subarray(0, rest < 56 ? BLOCK_BYTES : 2 * BLOCK_BYTES);
  tail.fill(0);
  tail.set(data.subarray(offset));
  tail[rest] = 0x80;
  const bits = (priorBytes + data.length) * 8;
  const end = tail.length;
  const high = Math.floor(bits / 0x1_0000_0000);
  tail[end - 8] = high >>> 24;
  tail[end - 7] = high >>> 16;
  tail[end - 6] = high >>> 8;
  tail[end - 5] = high;
  tail[end - 4] = bits >>> 24;
  tail[end - 3] = bits >>> 16;
  tail[end - 2] = bits >>> 8;
  tail[end - 1] = bits;
  for (let at = 0; at < end; at += BLOCK_BYTES) compress(state, tail, at, w);
  // The tail may hold the end of a secret-derived input (the inner digest): leave nothing behind.
  tail.fill(0);
  const digest = new Uint8Array(DIGEST_BYTES);
  for (let i = 0; i < 8; i++) {
    const word = state[i]!;
    digest[i * 4] = word >>> 24;
    digest[i * 4 + 1] = word >>> 16;
    digest[i * 4 + 2] = word >>> 8;
    digest[i * 4 + 3] = word;
  }
  return digest;
}

export function sha256(data: Uint8Array): Uint8Array {
  return finish(IV.slice(), data, 0);
}

/** An HMAC-SHA256 key with its inner and outer pads already hashed. */
export interface PreparedHmacKey {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
}

export function prepareHmacKey(secretBytes: Uint8Array): PreparedHmacKey {
  const block = new Uint8Array(BLOCK_BYTES);
  block.set(secretBytes.length > BLOCK_BYTES ? sha256(secretBytes) : secretBytes);
  const pad = new Uint8Array(BLOCK_BYTES);
  const w = new Int32Array(64);
  const inner = IV.slice();
  for (let i = 0; i < BLOCK_BYTES; i++) pad[i] = block[i]! ^ 0x36;
  compress(inner, pad, 0, w);
  const outer = IV.slice();
  for (let i = 0; i < BLOCK_BYTES; i++) pad[i] = block[i]! ^ 0x5c;
  compress(outer, pad, 0, w);
  block.fill(0);
  pad.fill(0);
  return { inner, outer };
}

export function hmacSha256Bytes(key: PreparedHmacKey, data: Uint8Array): Uint8Array {
  const innerDigest = finish(key.inner.slice(), data, BLOCK_BYTES);
  return finish(key.outer.slice(), innerDigest, BLOCK_BYTES);
}

/** Equal-length comparison whose time does not depend on where the bytes differ. */
export function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

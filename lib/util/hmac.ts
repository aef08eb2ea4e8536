/**
 * HMAC-SHA256 through WebCrypto. Keys are imported once, at start-up, never per
 * request. Verification is `crypto.subtle.verify`: the platform computes and
 * compares the MAC in constant time, and the expected value never reaches
 * JavaScript. (A hand-written SHA-256 measured ~10% faster on a forged flood;
 * a webhook gate does not trade vetted crypto for that: docs/benchmarks.md.)
 */

export function importHmacKey(secretBytes: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    secretBytes as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
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

const SHA256_BYTES = 32;

/**
 * Whether any candidate signature is the HMAC-SHA256 of `data` under any key.
 * A candidate that is not 32 bytes cannot match and is skipped (its length is
 * public: it came from the request). The checks of one request run together.
 */
export function matchingSignature(
  keys: readonly CryptoKey[],
  signatures: readonly Uint8Array[],
  data: Uint8Array,
): Promise<boolean> {
  // One key and one signature, the usual delivery: no arrays and no Promise.all, the
  // garbage every refused request would otherwise make.
  if (keys.length === 1 && signatures.length === 1) {
    const signature = signatures[0] as Uint8Array;
    return signature.length === SHA256_BYTES
      ? verifyHmacSha256(keys[0] as CryptoKey, signature, data)
      : Promise.resolve(false);
  }
  return anySignatureMatches(keys, signatures, data);
}

async function anySignatureMatches(
  keys: readonly CryptoKey[],
  signatures: readonly Uint8Array[],
  data: Uint8Array,
): Promise<boolean> {
  const candidates = signatures.filter((signature) => signature.length === SHA256_BYTES);
  if (candidates.length === 0 || keys.length === 0) return false;
  const checks = keys.flatMap((key) =>
    candidates.map((signature) => verifyHmacSha256(key, signature, data))
  );
  return (await Promise.all(checks)).includes(true);
}

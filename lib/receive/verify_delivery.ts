/**
 * Gates 1 and 2 for one delivery, on the scheme's parsed headers: fresh, then authentic.
 * Pure (the clock is passed in), so every edge of the window is tested.
 */
import { fail, matchingSignature, ok, type Result } from "../util/mod.ts";
import type { GateFailure, ParsedDelivery, Scheme } from "../schemes/mod.ts";

export interface VerifyOptions {
  nowSeconds: number;
  toleranceSeconds: number;
}

/**
 * Gates 1 and 2, in this order: a fresh timestamp (both directions),
 * then a signature by any active key, verified in constant time by WebCrypto
 * (crypto.subtle.verify, see lib/util/hmac.ts).
 */
export function verifyDelivery(
  request: { scheme: Scheme; keys: readonly CryptoKey[]; headers: Headers; body: Uint8Array },
  options: VerifyOptions,
): Promise<Result<ParsedDelivery, GateFailure>> {
  const parsed = request.scheme.parse(request.headers, request.body);
  if (!parsed.ok) return Promise.resolve(parsed);
  const delivery = parsed.value;
  if (
    delivery.timestampSeconds !== null &&
    Math.abs(options.nowSeconds - delivery.timestampSeconds) > options.toleranceSeconds
  ) {
    return Promise.resolve(fail("timestamp outside allowed window"));
  }
  // A plain chain, not an async function: every request, refused or not, comes through here.
  return matchingSignature(request.keys, delivery.signatures, delivery.signedContent).then((
    matched,
  ): Result<ParsedDelivery, GateFailure> => matched ? ok(delivery) : fail("bad signature"));
}

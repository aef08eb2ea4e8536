/**
 * Gates 1 and 2 for one delivery, on the scheme's parsed headers: fresh, then authentic.
 * Pure (the clock is passed in), so every edge of the window is tested.
 */
import { fail, type HmacKey, matchingSignature, ok, type Result } from "../util/mod.ts";
import type { GateFailure, ParsedDelivery, Scheme } from "../schemes/mod.ts";

export interface VerifyOptions {
  nowSeconds: number;
  toleranceSeconds: number;
}

/**
 * Gates 1 and 2, in this order: a fresh timestamp (both directions),
 * then a signature by any active key, compared in constant time (lib/util/hmac.ts).
 * Synchronous: a refused request costs no turn of the event loop.
 */
export function verifyDelivery(
  request: { scheme: Scheme; keys: readonly HmacKey[]; headers: Headers; body: Uint8Array },
  options: VerifyOptions,
): Result<ParsedDelivery, GateFailure> {
  const parsed = request.scheme.parse(request.headers, request.body);
  if (!parsed.ok) return parsed;
  const delivery = parsed.value;
  if (
    delivery.timestampSeconds !== null &&
    Math.abs(options.nowSeconds - delivery.timestampSeconds) > options.toleranceSeconds
  ) {
    return fail("timestamp outside allowed window");
  }
  return matchingSignature(request.keys, delivery.signatures, delivery.signedContent)
    ? ok(delivery)
    : fail("bad signature");
}

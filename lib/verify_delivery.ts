import { verifyHmacSha256 } from "./hmac.ts";
import { fail, ok, type Result } from "./result.ts";
import type { GateFailure, ParsedDelivery, Scheme } from "./scheme.ts";

export interface VerifyOptions {
  nowSeconds: number;
  toleranceSeconds: number;
}

/**
 * Gates 1 and 2, in the brief's order: a fresh timestamp (both directions),
 * then a signature by any active key, compared in constant time by WebCrypto.
 */
export async function verifyDelivery(
  request: { scheme: Scheme; keys: CryptoKey[]; headers: Headers; body: Uint8Array },
  options: VerifyOptions,
): Promise<Result<ParsedDelivery, GateFailure>> {
  const parsed = request.scheme.parse(request.headers, request.body);
  if (!parsed.ok) return parsed;
  const delivery = parsed.value;
  if (
    delivery.timestampSeconds !== null &&
    Math.abs(options.nowSeconds - delivery.timestampSeconds) > options.toleranceSeconds
  ) {
    return fail("timestamp outside allowed window");
  }
  for (const signature of delivery.signatures) {
    for (const key of request.keys) {
      if (await verifyHmacSha256(key, signature, delivery.signedContent)) return ok(delivery);
    }
  }
  return fail("bad signature");
}

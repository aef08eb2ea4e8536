/**
 * Stripe's wire format (`stripe-signature`), checked more strictly than Stripe's own
 * library: see stripeScheme.
 */
import { fail, fromHex, hmacSha256, ok, prefixedBytes, toHex, utf8 } from "../util/mod.ts";
import { parseTimestampSeconds, type Scheme } from "./scheme.ts";

/** A well-formed header: `key=value` pairs separated by single commas, no spaces. */
const PAIR_LIST = /^[a-z0-9]+=[^,= ]+(?:,[a-z0-9]+=[^,= ]+)*$/;
const MAC_HEX = /^[0-9a-f]{64}$/;
/** Candidates past this many are ignored: a huge header cannot buy many HMACs per request. */
const MAX_SIGNATURES = 10;

/**
 * Stripe: `stripe-signature: t=<ts>,v1=<hex>[,v1=<hex>…]` over `${ts}.` + body,
 * keyed by the whole secret string (`whsec_…` included). Exactly one `t`; a
 * header that breaks the pair grammar (empty pair, extra `=` or comma, spaces)
 * verifies nothing; `v0` and other schemes are ignored. The freshness check is
 * both ways (stripe-node checks only the past).
 */
export const stripeScheme: Scheme = {
  name: "stripe",
  timestamped: true,
  secretBytes: (secret) => ok(utf8(secret)),
  parse(headers, body) {
    const raw = headers.get("stripe-signature") ?? "";
    const entries = raw.split(",");
    const timestamps = entries.filter((entry) => entry.startsWith("t="));
    const timestampSeconds = timestamps.length === 1
      ? parseTimestampSeconds((timestamps[0] as string).slice(2))
      : null;
    if (timestampSeconds === null) return fail("missing/invalid timestamp");
    const signatures: Uint8Array[] = [];
    if (PAIR_LIST.test(raw)) {
      for (const entry of entries) {
        const value = entry.slice(3);
        if (!entry.startsWith("v1=") || !MAC_HEX.test(value)) continue;
        signatures.push(fromHex(value) as Uint8Array);
        if (signatures.length === MAX_SIGNATURES) break;
      }
    }
    return ok({
      timestampSeconds,
      headerId: null,
      signatures,
      signedContent: prefixedBytes(`${timestampSeconds}.`, body),
    });
  },
  sign(body, { keys, timestampSeconds }) {
    if (keys.length === 0) throw new Error("stripe scheme: no signing key");
    const content = prefixedBytes(`${timestampSeconds}.`, body);
    const parts = [`t=${timestampSeconds}`];
    for (const key of keys) parts.push(`v1=${toHex(hmacSha256(key, content))}`);
    return { "stripe-signature": parts.join(",") };
  },
};

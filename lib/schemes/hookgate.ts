/** hookgate's own wire format, the default route's and `hookgate send`'s. */
import { fail, fromHex, hmacSha256, ok, prefixedBytes, toHex, utf8 } from "../util/mod.ts";
import { parseTimestampSeconds, type Scheme } from "./scheme.ts";

/**
 * hookgate's own format (the original Python reference receiver's): `x-timestamp: <unix s>`, `x-signature: <lowercase hex>`
 * of HMAC-SHA256(secret, `${ts}.` + raw body). The id is the body's "id".
 */
export const hookgateScheme: Scheme = {
  name: "hookgate",
  timestamped: true,
  secretBytes: (secret) => ok(utf8(secret)),
  parse(headers, body) {
    const rawTimestamp = headers.get("x-timestamp");
    const timestampSeconds = parseTimestampSeconds(rawTimestamp);
    if (timestampSeconds === null) return fail("missing/invalid timestamp");
    const raw = headers.get("x-signature") ?? "";
    const signature = raw.length === 64 ? fromHex(raw) : null;
    return ok({
      timestampSeconds,
      headerId: null,
      signatures: signature ? [signature] : [],
      // The header as sent: only its canonical form parses, so it is the number's own digits.
      signedContent: prefixedBytes(`${rawTimestamp}.`, body),
    });
  },
  sign(body, { keys, timestampSeconds }) {
    const key = keys[0];
    if (!key) throw new Error("hookgate scheme: no signing key");
    const mac = hmacSha256(key, prefixedBytes(`${timestampSeconds}.`, body));
    return { "x-timestamp": String(timestampSeconds), "x-signature": toHex(mac) };
  },
};

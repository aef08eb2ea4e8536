/**
 * GitHub's wire format: no timestamp, so its replays are caught by delivery id and body
 * digest (see githubScheme).
 */
import { fromHex, hmacSha256, ok, toHex, utf8 } from "../util/mod.ts";
import type { Scheme } from "./scheme.ts";

const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

/**
 * GitHub: `x-hub-signature-256: sha256=<lowercase hex>` of HMAC-SHA256(secret,
 * raw body). No timestamp: a replay is refused by `x-github-delivery`, which
 * GitHub keeps when it redelivers, so routes keep event keys for 7 days.
 */
export const githubScheme: Scheme = {
  name: "github",
  timestamped: false,
  secretBytes: (secret) => ok(utf8(secret)),
  parse(headers, body) {
    const match = SIGNATURE.exec(headers.get("x-hub-signature-256") ?? "");
    const signature = match ? fromHex(match[1] as string) : null;
    return ok({
      timestampSeconds: null,
      headerId: headers.get("x-github-delivery"),
      signatures: signature ? [signature] : [],
      signedContent: body,
    });
  },
  sign(body, { keys, id }) {
    // GitHub carries one signature, so only the current key signs.
    const key = keys[0];
    if (!key) throw new Error("github scheme: no signing key");
    return {
      "x-hub-signature-256": `sha256=${toHex(hmacSha256(key, body))}`,
      "x-github-delivery": id,
    };
  },
};

/**
 * The second reference for `deno task bench`: the bare server plus the one step no
 * safe receiver can skip, a WebCrypto HMAC-SHA256 verify of `timestamp.body` with
 * hookgate's own primitives (lib/util/hmac.ts, lib/util/encoding.ts; key imported once, requests
 * overlapped by Deno.serve). No freshness check, no store, no trace: its rate is the
 * ceiling for any receiver that verifies on one JS thread, and the `forged` and
 * `duplicates` scenarios cannot be faster than it.
 */
import { concatBytes, fromHex, importHmacKey, utf8, verifyHmacSha256 } from "../lib/util/mod.ts";
import { serveReference } from "./reference_server.ts";

const secret = Deno.env.get("WEBHOOK_SECRET");
if (!secret) throw new Error("verify_only_server.ts needs WEBHOOK_SECRET in the environment");
const key = await importHmacKey(utf8(secret));
const headers = { "content-type": "application/json" };
const accepted = JSON.stringify({ status: "accepted" });
const rejected = JSON.stringify({ error: "invalid signature" });

serveReference(async (request) => {
  const signature = fromHex(request.headers.get("x-signature") ?? "");
  const signed = concatBytes(
    utf8(`${request.headers.get("x-timestamp") ?? ""}.`),
    await request.bytes(),
  );
  return signature !== null && await verifyHmacSha256(key, signature, signed)
    ? new Response(accepted, { headers })
    : new Response(rejected, { status: 401, headers });
});

/**
 * The second reference for `deno task bench`: the bare server plus the one step no
 * safe receiver can skip, a WebCrypto HMAC-SHA256 verify of `timestamp.body` with
 * hookgate's own primitives (lib/util/hmac.ts, lib/util/encoding.ts; key imported once, requests
 * overlapped by Deno.serve). No freshness check, no store, no trace: its rate is the
 * ceiling for any receiver that verifies on one JS thread, and the `forged` and
 * `duplicates` scenarios cannot be faster than it.
 */
import { importHmacKey, utf8 } from "../lib/util/mod.ts";
import { serveReference, verifiedBody } from "./reference_server.ts";

const secret = Deno.env.get("WEBHOOK_SECRET");
if (!secret) throw new Error("verify_only_server.ts needs WEBHOOK_SECRET in the environment");
const key = await importHmacKey(utf8(secret));
const headers = { "content-type": "application/json" };
const accepted = JSON.stringify({ status: "accepted" });
const rejected = JSON.stringify({ error: "invalid signature" });

serveReference(async (request) =>
  await verifiedBody(request, key) !== null
    ? new Response(accepted, { headers })
    : new Response(rejected, { status: 401, headers })
);

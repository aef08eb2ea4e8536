/**
 * The second reference for `deno task bench`: the bare server plus the one step no
 * safe receiver can skip, an HMAC-SHA256 verify of `timestamp.body` (key imported once,
 * requests overlapped by Deno.serve). No freshness check, no store, no trace.
 *
 * REFERENCE_HMAC picks the verify: `webcrypto` (the default: one `crypto.subtle.verify`,
 * the reference the refusal targets are stated against) or `hookgate` (hookgate's own
 * HMAC, lib/util/hmac.ts: the same primitive hookgate's gates use, so against it the
 * `forged` and `duplicates` scenarios show what the rest of the receive path costs).
 */
import {
  referenceHmacFromEnv,
  referenceVerifier,
  serveReference,
  verifiedBody,
} from "./reference_server.ts";

const secret = Deno.env.get("WEBHOOK_SECRET");
if (!secret) throw new Error("verify_only_server.ts needs WEBHOOK_SECRET in the environment");
const verify = await referenceVerifier(secret, referenceHmacFromEnv());
const headers = { "content-type": "application/json" };
const accepted = JSON.stringify({ status: "accepted" });
const rejected = JSON.stringify({ error: "invalid signature" });

serveReference(async (request) =>
  await verifiedBody(request, verify) !== null
    ? new Response(accepted, { headers })
    : new Response(rejected, { status: 401, headers })
);

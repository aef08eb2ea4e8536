/**
 * The second reference for `deno task bench`: the bare server plus the one step no
 * safe receiver can skip, a WebCrypto HMAC-SHA256 verify of `timestamp.body` (key
 * imported once, requests overlapped by Deno.serve). No freshness check, no store, no
 * trace: its rate is the ceiling for any receiver that verifies on one JS thread, and
 * the `forged` and `duplicates` scenarios cannot be faster than it.
 */
const port = Number(Deno.args[0] ?? "0");
const secret = Deno.env.get("WEBHOOK_SECRET");
if (!secret) throw new Error("verify_only_server.ts needs WEBHOOK_SECRET in the environment");
const encoder = new TextEncoder();
const key = await crypto.subtle.importKey(
  "raw",
  encoder.encode(secret),
  { name: "HMAC", hash: "SHA-256" },
  false,
  ["verify"],
);
const headers = { "content-type": "application/json" };
const accepted = JSON.stringify({ status: "accepted" });
const rejected = JSON.stringify({ error: "invalid signature" });

function hexBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: ({ port }) => console.error(`listening on http://127.0.0.1:${port}/`),
}, async (request) => {
  const timestamp = request.headers.get("x-timestamp") ?? "";
  const signature = hexBytes(request.headers.get("x-signature") ?? "");
  const body = await request.bytes();
  const prefix = encoder.encode(`${timestamp}.`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);
  return await crypto.subtle.verify("HMAC", key, signature, signed)
    ? new Response(accepted, { headers })
    : new Response(rejected, { status: 401, headers });
});

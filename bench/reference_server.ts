/**
 * How bench/run.ts starts a reference server: on 127.0.0.1, the port from the first
 * argument (0 = any free one), announcing `listening on URL` on stderr as serve does.
 * SIGTERM shuts it down and the process ends normally, so `--cpu-prof-dir` gets its
 * profile written (bench:profile --scenario verify-only).
 */
import { fromHex, prefixedBytes, verifyHmacSha256 } from "../lib/util/mod.ts";
export function serveReference(handler: (request: Request) => Promise<Response>): void {
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: Number(Deno.args[0] ?? "0"),
    onListen: ({ port }) => console.error(`listening on http://127.0.0.1:${port}/`),
  }, handler);
  Deno.addSignalListener("SIGTERM", () => void server.shutdown());
}

/**
 * The one step no safe receiver can skip, as the references take it: a WebCrypto HMAC-SHA256
 * verify of `timestamp.body` (hookgate's own primitives, the key imported once). The body,
 * or null when the signature does not match.
 */
export async function verifiedBody(request: Request, key: CryptoKey): Promise<Uint8Array | null> {
  const signature = fromHex(request.headers.get("x-signature") ?? "");
  const body = await request.bytes();
  const signed = prefixedBytes(`${request.headers.get("x-timestamp") ?? ""}.`, body);
  return signature !== null && await verifyHmacSha256(key, signature, signed) ? body : null;
}

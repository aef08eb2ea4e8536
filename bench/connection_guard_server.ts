/**
 * The measurement behind "a front proxy, not a guard in hookgate" (docs/deploy.md, "Slow
 * and idle clients"): the verify-only handler served two ways, to compare under wrk.
 *
 *   deno run -A bench/connection_guard_server.ts serve 8001   # Deno.serve, as hookgate
 *   deno run -A bench/connection_guard_server.ts guard 8002   # own accept loop + timers
 *   wrk -t2 -c32 -d8s -s bench/forged_post.lua http://127.0.0.1:8001/webhook
 *
 * `guard` is what owning the connections would take under Deno: accept them with
 * Deno.listen, serve each with the deprecated Deno.serveHttp, and close a connection whose
 * next request has not arrived within the header/idle timeout.
 */
import { concatBytes, fromHex, importHmacKey, utf8, verifyHmacSha256 } from "../lib/util/mod.ts";

const [mode = "serve", rawPort = "0"] = Deno.args;
const TIMEOUT_MS = 10_000;
const key = importHmacKey(utf8("bench-secret-0123456789abcdef"));
const headers = { "content-type": "application/json" };

async function handler(request: Request): Promise<Response> {
  const signature = fromHex(request.headers.get("x-signature") ?? "");
  const signed = concatBytes(
    utf8(`${request.headers.get("x-timestamp") ?? ""}.`),
    await request.bytes(),
  );
  return signature !== null && verifyHmacSha256(key, signature, signed)
    ? new Response('{"status":"accepted"}', { headers })
    : new Response('{"error":"bad signature"}', { status: 401, headers });
}

interface LegacyHttpConn {
  nextRequest(): Promise<
    { request: Request; respondWith(r: Promise<Response>): Promise<void> } | null
  >;
}

async function guard(conn: Deno.Conn): Promise<void> {
  const serveHttp = (Deno as unknown as { serveHttp(conn: Deno.Conn): LegacyHttpConn }).serveHttp;
  const http = serveHttp(conn);
  const close = () => {
    try {
      conn.close();
    } catch {
      // already closed
    }
  };
  let timer = setTimeout(close, TIMEOUT_MS);
  try {
    while (true) {
      const event = await http.nextRequest();
      clearTimeout(timer);
      if (event === null) break;
      await event.respondWith(handler(event.request));
      timer = setTimeout(close, TIMEOUT_MS);
    }
  } catch {
    // closed by the timer or the client
  } finally {
    clearTimeout(timer);
  }
}

const port = Number(rawPort);
if (mode === "guard") {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  console.error(`listening on http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/ (guard)`);
  for await (const conn of listener) void guard(conn);
} else {
  Deno.serve({
    hostname: "127.0.0.1",
    port,
    onListen: (addr) => console.error(`listening on http://127.0.0.1:${addr.port}/ (serve)`),
  }, handler);
}

/**
 * The documented protection against header trickle and idle connections: the nginx block of
 * docs/deploy.md, run as written (timeouts shortened to seconds) in front of the real
 * `hookgate serve`, closes them; hookgate itself warns when it listens beyond loopback.
 */
import assert from "node:assert/strict";
import { freePort } from "../support/machine.ts";
import { nginxAvailable, startNginx } from "../support/nginx_server.ts";
import { startServe } from "../support/serve_process.ts";
import { tempDir } from "../support/temp_dir.ts";

const SECRET = "front-proxy-secret-" + crypto.randomUUID();
const encoder = new TextEncoder();
const CONNECTIONS = 20;

/** The ```nginx block of docs/deploy.md, pointed at `upstream` and listening on `port`. */
async function documentedConfig(upstreamPort: number, port: number): Promise<string> {
  const doc = await Deno.readTextFile(new URL("../../docs/deploy.md", import.meta.url));
  const block = /```nginx\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block, "docs/deploy.md has no ```nginx block");
  assert.match(block, /listen 8080;/);
  assert.match(block, /proxy_pass http:\/\/127\.0\.0\.1:8000;/);
  return block
    .replace("listen 8080;", `listen 127.0.0.1:${port};`)
    .replace("proxy_pass http://127.0.0.1:8000;", `proxy_pass http://127.0.0.1:${upstreamPort};`)
    // The same mechanism, in seconds a test can wait for.
    .replace(/client_header_timeout \d+s;/, "client_header_timeout 1s;")
    .replace(/client_body_timeout \d+s;/, "client_body_timeout 1s;")
    .replace(/keepalive_timeout \d+s;/, "keepalive_timeout 1s;");
}

async function withProxy(fn: (port: number) => Promise<void>): Promise<void> {
  await using dir = await tempDir("hookgate-front-");
  await using hookgate = await startServe({
    env: { WEBHOOK_SECRET: SECRET },
    args: ["--data-dir", `${dir.path}/data`, "--no-trace"],
  });
  const port = freePort();
  await using _nginx = await startNginx(
    await documentedConfig(Number(new URL(hookgate.url).port), port),
    port,
  );
  await fn(port);
}

/** Resolves with the ms until the peer closed `conn` (EOF or reset), or null past `limitMs`. */
async function closedWithin(conn: Deno.TcpConn, limitMs: number): Promise<number | null> {
  const started = performance.now();
  const buffer = new Uint8Array(4096);
  const reading = (async () => {
    try {
      while (await conn.read(buffer) !== null) { /* discard */ }
    } catch {
      // reset: closed all the same
    }
    return performance.now() - started;
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), limitMs));
  const result = await Promise.race([reading, late]);
  clearTimeout(timer);
  try {
    conn.close();
  } catch { /* closed */ }
  await reading;
  return result;
}

async function connections(port: number): Promise<Deno.TcpConn[]> {
  return await Promise.all(
    Array.from({ length: CONNECTIONS }, () => Deno.connect({ hostname: "127.0.0.1", port })),
  );
}

Deno.test({
  name: "behind the documented nginx, connections trickling header lines are closed",
  ignore: !nginxAvailable(),
  fn: () =>
    withProxy(async (port) => {
      const conns = await connections(port);
      const trickling = conns.map(async (conn) => {
        await conn.write(encoder.encode("GET /healthz HTTP/1.1\r\nhost: x\r\n"));
        for (let i = 0; i < 30; i++) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          try {
            await conn.write(encoder.encode(`x-trickle-${i}: 1\r\n`));
          } catch {
            return;
          }
        }
      });
      const closed = await Promise.all(conns.map((conn) => closedWithin(conn, 5_000)));
      await Promise.all(trickling);
      assert.deepEqual(closed.filter((ms) => ms === null).length, 0, `still open: ${closed}`);
    }),
});

Deno.test({
  name: "behind the documented nginx, idle connections are closed, before and after a request",
  ignore: !nginxAvailable(),
  fn: () =>
    withProxy(async (port) => {
      const silent = await connections(port);
      const used = await connections(port);
      for (const conn of used) {
        await conn.write(encoder.encode("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n"));
        const buffer = new Uint8Array(1024);
        const n = await conn.read(buffer);
        assert.match(new TextDecoder().decode(buffer.subarray(0, n ?? 0)), /^HTTP\/1\.1 200 /);
      }
      const closed = await Promise.all(
        [...silent, ...used].map((conn) => closedWithin(conn, 5_000)),
      );
      assert.deepEqual(closed.filter((ms) => ms === null).length, 0, `still open: ${closed}`);
    }),
});

Deno.test("serve on a non-loopback address warns that a front proxy with timeouts is required", async () => {
  await using dir = await tempDir("hookgate-front-");
  for (const [hostname, warns] of [["0.0.0.0", true], ["127.0.0.1", false]] as const) {
    await using server = await startServe({
      env: { WEBHOOK_SECRET: SECRET },
      args: ["--hostname", hostname, "--data-dir", `${dir.path}/data`, "--no-trace"],
    });
    assert.equal(await server.stop(), 0);
    assert.equal(/reverse proxy with header, body and idle timeouts/.test(server.stderr()), warns);
  }
});

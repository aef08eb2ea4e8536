/**
 * Over raw loopback sockets against the real `hookgate serve` (Deno KV store, inspection API
 * on): routing, the API and the trace take the path from the request line, never from Host;
 * malformed or oversized API paths get 4xx, never 5xx.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { issueToken, type TokenScope } from "../../lib/api/mod.ts";
import { importHmacKey, utf8 } from "../../lib/util/mod.ts";
import { startServe } from "../support/serve_process.ts";
import { tempDir } from "../support/temp_dir.ts";

const SECRET = "request-line-secret-" + crypto.randomUUID();
const TOKEN_SECRET = "request-line-token-secret-" + crypto.randomUUID();

function bearer(scope: TokenScope): string {
  const issued = issueToken(
    {
      scope,
      ttlMs: 10 * 60_000,
      nowMs: Date.now(),
      tokenId: crypto.randomUUID().replaceAll("-", ""),
    },
    importHmacKey(utf8(TOKEN_SECRET)),
  );
  assert.ok(issued.ok);
  return `Bearer ${issued.value.token}`;
}

async function raw(
  port: number,
  head: string,
  body = "",
): Promise<{ status: number; text: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      utf8(`${head}connection: close\r\ncontent-length: ${utf8(body).length}\r\n\r\n${body}`),
    );
    const chunks: Uint8Array[] = [];
    const buffer = new Uint8Array(65_536);
    const deadline = Date.now() + 10_000;
    try {
      while (Date.now() < deadline) {
        const n = await conn.read(buffer);
        if (n === null) break;
        chunks.push(buffer.slice(0, n));
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.ConnectionReset)) throw error;
    }
    const text = new TextDecoder().decode(
      chunks.reduce((all, c) => new Uint8Array([...all, ...c]), new Uint8Array()),
    );
    return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? "0"), text };
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

async function withServe(fn: (port: number, tracePath: string) => Promise<void>): Promise<void> {
  await using dir = await tempDir("hookgate-paths-");
  const tracePath = `${dir.path}/trace.jsonl`;
  await using server = await startServe({
    env: { WEBHOOK_SECRET: SECRET, HOOKGATE_TOKEN_SECRET: TOKEN_SECRET },
    args: ["--data-dir", `${dir.path}/data`, "--trace", tracePath],
  });
  await fn(Number(new URL(server.url).port), tracePath);
  assert.equal(await server.stop(), 0);
}

Deno.test("a Host that holds a path never reaches the inspection API nor a route", async () => {
  await withServe(async (port, tracePath) => {
    const read = bearer("read");
    const listed = await raw(
      port,
      `GET /webhook HTTP/1.1\r\nhost: x/events?\r\nauthorization: ${read}\r\n`,
    );
    assert.equal(listed.status, 400, listed.text);
    assert.match(listed.text, /\{"error":"invalid Host header"\}/);
    assert.doesNotMatch(listed.text, /"events":/);

    const body = '{"id":"host-route"}';
    const ts = String(Math.floor(Date.now() / 1000));
    const mac = createHmac("sha256", SECRET).update(`${ts}.${body}`).digest("hex");
    const routed = await raw(
      port,
      `POST /elsewhere HTTP/1.1\r\nhost: 127.0.0.1/webhook?\r\nx-timestamp: ${ts}\r\n` +
        `x-signature: ${mac}\r\n`,
      body,
    );
    assert.equal(routed.status, 400, routed.text);

    // The same request with a plain Host is routed by its request line: /elsewhere is 404.
    const plain = await raw(
      port,
      `POST /elsewhere HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nx-timestamp: ${ts}\r\n` +
        `x-signature: ${mac}\r\n`,
      body,
    );
    assert.equal(plain.status, 404, plain.text);
    const ipv6 = await raw(port, `GET /healthz HTTP/1.1\r\nhost: [::1]:${port}\r\n`);
    assert.equal(ipv6.status, 200, ipv6.text);

    await new Promise((resolve) => setTimeout(resolve, 200));
    const trace = await Deno.readTextFile(tracePath);
    assert.doesNotMatch(trace, /"path":"\/events/);
    assert.doesNotMatch(trace, /"outcome":"accepted"/);
  });
});

Deno.test("malformed and oversized inspection API paths get 4xx, never 5xx", async (t) => {
  await withServe(async (port) => {
    const write = bearer("write");
    const long = "x".repeat(5_000);
    const paths: [string, string][] = [
      ["GET", `/events/webhook/${long}`],
      ["POST", `/events/webhook/${long}/redeliver`],
      ["GET", `/events/webhook/id%3A${long}`],
      ["GET", `/events/${long}/id%3Ax`],
      ["POST", `/events/${long}/${long}/redeliver`],
      ["GET", `/events/webhook/${"%41".repeat(3_000)}`],
      ["GET", "/events/"],
      ["GET", "/events//id%3Ax"],
      ["GET", "/events/webhook/"],
      ["GET", "/events/webhook/%"],
      ["GET", "/events/webhook/%ZZ"],
      ["GET", "/events/webhook/%ED%A0%80"],
      ["GET", "/events/webhook/%00"],
      ["GET", "/events/webhook/id%3Ax/other"],
      ["GET", "/events/webhook/id%3Ax/redeliver/more"],
      ["GET", "/events/webhook/id%3Ax/redeliver"],
      ["POST", "/events/webhook/id%3Ax"],
      ["DELETE", "/events/webhook/id%3Ax"],
      ["GET", "/events?status=nope"],
      ["GET", "/events?limit=0"],
      ["GET", "/events?limit=99999"],
      ["GET", `/events?limit=${long}`],
      ["GET", "/events/../events/webhook/id%3Ax"],
      ["GET", "/events/webhook/no-such-key"],
    ];
    for (const [method, path] of paths) {
      await t.step(`${method} ${path.slice(0, 60)}`, async () => {
        const answer = await raw(
          port,
          `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: ${write}\r\n`,
        );
        assert.ok(answer.status >= 400 && answer.status < 500, answer.text.slice(0, 300));
      });
    }
  });
});

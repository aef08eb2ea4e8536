/**
 * Slow senders against the real `hookgate serve`, over raw loopback sockets: a body
 * trickled byte by byte gets its 408 at the read deadline whatever the pace, and after
 * an answer to an unfinished body (408, 413) the server really closes the connection,
 * even while the client keeps sending. Few sockets, every wait bounded.
 */
import assert from "node:assert/strict";
import { startServe } from "../support/serve_process.ts";
import { tempDir } from "../support/temp_dir.ts";

const SECRET = "slow-clients-secret-" + crypto.randomUUID();
const encoder = new TextEncoder();

async function serve(args: string[] = []) {
  const dir = await tempDir("hookgate-slow-");
  const server = await startServe({
    env: { WEBHOOK_SECRET: SECRET },
    args: ["--data-dir", `${dir.path}/data`, "--no-trace", ...args],
  });
  return {
    port: Number(new URL(server.url).port),
    async [Symbol.asyncDispose]() {
      assert.equal(await server.stop(), 0);
      await dir[Symbol.asyncDispose]();
    },
  };
}

interface Watched {
  /** Everything the server sent so far. */
  text(): string;
  /** Resolves with the ms from connect when the server closed the connection. */
  closed: Promise<number>;
  conn: Deno.TcpConn;
}

/** Connects and keeps reading in the background until the server closes the connection. */
async function watch(port: number): Promise<Watched> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const started = performance.now();
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  const closed = (async () => {
    const buffer = new Uint8Array(4096);
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        chunks.push(decoder.decode(buffer.subarray(0, n), { stream: true }));
      }
    } catch {
      // reset by the server: closed all the same
    }
    return performance.now() - started;
  })();
  return { text: () => chunks.join(""), closed, conn };
}

/** The ms from connect at which the server closed, or null if it was still open after `limitMs`. */
async function closedWithin(watched: Watched, limitMs: number): Promise<number | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), limitMs));
  try {
    return await Promise.race([watched.closed, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Writes `bytes`, ignoring a connection the server already closed. */
async function send(conn: Deno.TcpConn, bytes: string | Uint8Array): Promise<boolean> {
  try {
    await conn.write(typeof bytes === "string" ? encoder.encode(bytes) : bytes);
    return true;
  } catch {
    return false;
  }
}

/** Trickles one byte every `everyMs` until the connection closes or `limitMs` passed. */
async function trickle(watched: Watched, everyMs: number, limitMs: number): Promise<void> {
  const deadline = performance.now() + limitMs;
  let open = true;
  watched.closed.then(() => open = false);
  while (open && performance.now() < deadline) {
    if (!await send(watched.conn, " ")) return;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

function close(conn: Deno.TcpConn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}

Deno.test("a body trickled one byte at a time gets 408 with Connection: close at the read deadline", async () => {
  await using hookgate = await serve(["--read-timeout", "1s"]);
  const watched = await watch(hookgate.port);
  try {
    const ts = String(Math.floor(Date.now() / 1000));
    await send(
      watched.conn,
      `POST /webhook HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 100000\r\n` +
        `x-timestamp: ${ts}\r\nx-signature: ${"0".repeat(64)}\r\n\r\n{`,
    );
    // A byte every 100 ms: a timer that restarts per byte would never fire.
    const started = performance.now();
    let answeredAfterMs: number | null = null;
    const deadline = started + 6_000;
    while (answeredAfterMs === null && performance.now() < deadline) {
      if (!await send(watched.conn, " ")) break;
      if (watched.text().includes("request body timed out")) {
        answeredAfterMs = performance.now() - started;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.match(watched.text(), /^HTTP\/1\.1 408 /);
    assert.match(watched.text(), /\r\nconnection: close\r\n/i);
    assert.match(watched.text(), /\{"error":"request body timed out"\}/);
    assert.ok(
      answeredAfterMs !== null && answeredAfterMs < 3_000,
      `answered after ${answeredAfterMs} ms`,
    );
  } finally {
    close(watched.conn);
    await closedWithin(watched, 1_000);
  }
});

Deno.test("after a 413 for a declared 10 MB body the connection closes while the client still sends", async () => {
  await using hookgate = await serve();
  const watched = await watch(hookgate.port);
  try {
    await send(
      watched.conn,
      `POST /webhook HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 10000000\r\n\r\n{"id":`,
    );
    await trickle(watched, 100, 5_000);
    const closedAfterMs = await closedWithin(watched, 1_000);
    assert.match(watched.text(), /^HTTP\/1\.1 413 /);
    assert.match(watched.text(), /\r\nconnection: close\r\n/i);
    assert.match(watched.text(), /\{"error":"payload too large"\}/);
    assert.ok(closedAfterMs !== null && closedAfterMs < 4_000, `closed after ${closedAfterMs} ms`);
  } finally {
    close(watched.conn);
    await closedWithin(watched, 1_000);
  }
});

Deno.test("a complete request keeps its connection open for the next one", async () => {
  await using hookgate = await serve();
  const watched = await watch(hookgate.port);
  try {
    await send(watched.conn, "GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n");
    await send(watched.conn, "GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n");
    const deadline = performance.now() + 5_000;
    while ((watched.text().match(/HTTP\/1\.1 200/g) ?? []).length < 2) {
      assert.ok(performance.now() < deadline, `two answers expected, got: ${watched.text()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.doesNotMatch(watched.text(), /connection: close/i);
  } finally {
    close(watched.conn);
    await closedWithin(watched, 1_000);
  }
});

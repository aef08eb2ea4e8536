/**
 * End to end: the real `hookgate serve` subprocess on a free port, spoken to
 * over HTTP. Signatures are computed with node:crypto, independently of lib/.
 */
import assert from "node:assert/strict";
import { openStore } from "../../lib/store/mod.ts";
import { closing } from "../support/closing.ts";
import { runCli } from "../support/cli.ts";
import { startServe } from "../support/serve_process.ts";
import { tempDir } from "../support/temp_dir.ts";
import { eventually } from "../support/wait.ts";
import { signedHeaders as signedWith } from "../support/signing.ts";

const SECRET = "e2e-secret-" + crypto.randomUUID();
const ENV = { WEBHOOK_SECRET: SECRET };

function signedHeaders(body: string, ts = Math.floor(Date.now() / 1000), secret = SECRET) {
  return signedWith(body, secret, ts);
}

async function post(url: string, body: string, headers: Record<string, string>) {
  const response = await fetch(`${url}/webhook`, { method: "POST", body, headers });
  return { status: response.status, text: await response.text() };
}

/** A data directory (not yet created) inside a temp dir that removes itself. */
async function tempDataDir() {
  const dir = await tempDir("hookgate-e2e-");
  return { path: `${dir.path}/data`, [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose]() };
}

/** Events in the data dir's store, whatever their state (after the server stopped). */
async function storedEventCount(dataDir: string): Promise<number> {
  await using store = closing(await openStore("", { dataDir }));
  return (await store.list({ limit: 1_000 })).length;
}

const ACCEPTED = '{"status":"accepted"}';
const DUPLICATE = '{"status":"duplicate-ignored"}';

Deno.test("serve: unsigned → 401, signed → accepted, same id → duplicate, restart → still duplicate", async (t) => {
  await using dataDir = await tempDataDir();
  const body = JSON.stringify({ id: "e42", event: "push", repo: "demo" });
  await using first = await startServe({ env: ENV, args: ["--data-dir", dataDir.path] });
  await t.step("an unsigned request is 401", async () => {
    const response = await post(first.url, body, { "content-type": "application/json" });
    assert.deepEqual(response, { status: 401, text: '{"error":"missing/invalid timestamp"}' });
  });
  await t.step("a request signed with node:crypto is accepted", async () => {
    assert.deepEqual(await post(first.url, body, signedHeaders(body)), {
      status: 200,
      text: ACCEPTED,
    });
  });
  await t.step("the same id again is duplicate-ignored", async () => {
    assert.deepEqual(await post(first.url, body, signedHeaders(body)), {
      status: 200,
      text: DUPLICATE,
    });
  });
  await t.step("the accepted event is printed once as a verified line", async () => {
    await eventually("serve printed a line", () => first.stdout().includes("\n"), 10_000);
    const lines = first.stdout().trim().split("\n");
    assert.deepEqual(lines.map((l) => JSON.parse(l)), [
      { event: "verified", id: "e42", payload: JSON.parse(body) },
    ]);
  });
  assert.equal(await first.stop(), 0);
  await t.step("after a restart the same id is still duplicate-ignored", async () => {
    await using again = await startServe({ env: ENV, args: ["--data-dir", dataDir.path] });
    assert.deepEqual(await post(again.url, body, signedHeaders(body)), {
      status: 200,
      text: DUPLICATE,
    });
  });
});

Deno.test("serve: forged and stale requests are 401 and leave the store empty", async () => {
  await using dataDir = await tempDataDir();
  await using server = await startServe({ env: ENV, args: ["--data-dir", dataDir.path] });
  const body = '{"id":"evil","event":"push"}';
  const forged = signedHeaders(body, undefined, "attacker-secret-0123456789");
  assert.deepEqual(await post(server.url, body, forged), {
    status: 401,
    text: '{"error":"bad signature"}',
  });
  const stale = signedHeaders(body, Math.floor(Date.now() / 1000) - 301);
  assert.deepEqual(await post(server.url, body, stale), {
    status: 401,
    text: '{"error":"timestamp outside allowed window"}',
  });
  assert.equal(await server.stop(), 0);
  assert.equal(server.stdout(), "");
  assert.equal(await storedEventCount(dataDir.path), 0, "a refused request was stored");
});

Deno.test("serve: 50 concurrent identical deliveries → exactly one accepted", async () => {
  await using dataDir = await tempDataDir();
  await using server = await startServe({ env: ENV, args: ["--data-dir", dataDir.path] });
  const body = '{"id":"burst","event":"push"}';
  const headers = signedHeaders(body);
  const answers = await Promise.all(
    Array.from({ length: 50 }, () => post(server.url, body, headers)),
  );
  assert.ok(answers.every((a) => a.status === 200));
  assert.equal(answers.filter((a) => a.text === ACCEPTED).length, 1);
  assert.equal(answers.filter((a) => a.text === DUPLICATE).length, 49);
});

Deno.test("serve: two processes on one data dir accept each event exactly once", async () => {
  await using dataDir = await tempDataDir();
  await Deno.mkdir(dataDir.path, { recursive: true });
  await using a = await startServe({ env: ENV, args: ["--data-dir", dataDir.path] });
  await using b = await startServe({ env: ENV, args: ["--data-dir", dataDir.path] });
  const events = Array.from({ length: 10 }, (_, i) => `{"id":"shared-${i}"}`);
  const answers = await Promise.all(
    events.flatMap((body) => {
      const headers = signedHeaders(body);
      return [a, b, a, b].map((s) => post(s.url, body, headers).then((r) => ({ body, ...r })));
    }),
  );
  assert.deepEqual(answers.filter((r) => r.status !== 200), []);
  for (const body of events) {
    const accepted = answers.filter((r) => r.body === body && r.text === ACCEPTED);
    assert.equal(accepted.length, 1, `${body} accepted ${accepted.length} times`);
  }
});

Deno.test("serve: an exact replay of an id-less delivery is duplicate-ignored", async () => {
  await using dataDir = await tempDataDir();
  await using server = await startServe({ env: ENV, args: ["--data-dir", dataDir.path] });
  const body = '{"event":"push","repo":"demo"}';
  const headers = signedHeaders(body);
  assert.equal((await post(server.url, body, headers)).text, ACCEPTED);
  assert.equal((await post(server.url, body, headers)).text, DUPLICATE);
});

Deno.test("serve: a payload larger than 64 KiB is accepted and handed over whole", async () => {
  await using dataDir = await tempDataDir();
  await using server = await startServe({ env: ENV, args: ["--data-dir", dataDir.path] });
  const filler = "x".repeat(300 * 1024);
  const body = JSON.stringify({ id: "large", filler });
  assert.equal((await post(server.url, body, signedHeaders(body))).text, ACCEPTED);
  await eventually("serve printed the whole line", () => server.stdout().endsWith("\n"), 10_000);
  const line = JSON.parse(server.stdout().trim());
  assert.equal(line.payload.filler, filler);
});

Deno.test("serve: SIGTERM during a request lets that request complete", async () => {
  await using dataDir = await tempDataDir();
  await using server = await startServe({ env: ENV, args: ["--data-dir", dataDir.path] });
  const port = Number(new URL(server.url).port);
  const body = '{"id":"in-flight","event":"push"}';
  const headers = signedHeaders(body);
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const head = `POST /webhook HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n` +
    `content-type: application/json\r\nx-timestamp: ${headers["x-timestamp"]}\r\n` +
    `x-signature: ${headers["x-signature"]}\r\ncontent-length: ${body.length}\r\n\r\n`;
  const encoder = new TextEncoder();
  await conn.write(encoder.encode(head + body.slice(0, 10)));
  await new Promise((r) => setTimeout(r, 200));
  Deno.kill(server.pid, "SIGTERM");
  await new Promise((r) => setTimeout(r, 200));
  await conn.write(encoder.encode(body.slice(10)));
  const response = new TextDecoder().decode(
    await new Response(conn.readable).arrayBuffer(),
  );
  assert.match(response, /^HTTP\/1\.1 200/);
  assert.ok(response.endsWith(ACCEPTED), response);
  assert.equal(await server.exited, 0);
});

Deno.test("serve: a port already in use is exit 69 with a clear message", async () => {
  await using dataDir = await tempDataDir();
  await using server = await startServe({ env: ENV, args: ["--data-dir", dataDir.path] });
  const port = new URL(server.url).port;
  await using otherDir = await tempDataDir();
  const result = await runCli(["serve", "--port", port, "--data-dir", otherDir.path], {
    env: ENV,
  });
  assert.equal(result.code, 69);
  assert.match(result.stderr, /already in use/);
  assert.doesNotMatch(result.stderr, /^ {4}at /m);
});

Deno.test("serve: a missing secret is exit 78 before listening", async () => {
  const result = await runCli(["serve", "--port", "0"], { env: {} });
  assert.equal(result.code, 78);
  assert.match(result.stderr, /WEBHOOK_SECRET is not set/);
  assert.doesNotMatch(result.stderr, /listening/);
});

Deno.test("serve: a short secret is exit 78 and its value is not printed", async () => {
  const result = await runCli(["serve", "--port", "0"], { env: { WEBHOOK_SECRET: "short-one" } });
  assert.equal(result.code, 78);
  assert.doesNotMatch(result.stderr + result.stdout, /short-one/);
});

for (
  const args of [
    ["--port", "70000"],
    ["--port", "abc"],
    ["--tolerance", "0"],
    ["--tolerance", "-5"],
    ["--max-body-bytes", "1e6"],
    ["--store", "ftp://x"],
    ["--unknown"],
  ]
) {
  Deno.test(`serve: ${args.join(" ")} is a usage error (64) before listening`, async () => {
    const result = await runCli(["serve", ...args], { env: ENV });
    assert.equal(result.code, 64, result.stderr);
    assert.doesNotMatch(result.stderr, /listening/);
  });
}

Deno.test("serve: a bad HOOKGATE_STORE is a configuration error (78) before listening", async () => {
  const result = await runCli(["serve", "--port", "0"], {
    env: { ...ENV, HOOKGATE_STORE: "ftp://store.example" },
  });
  assert.equal(result.code, 78, result.stderr);
  assert.match(result.stderr, /HOOKGATE_STORE/);
  assert.doesNotMatch(result.stderr, /listening/);
});

Deno.test("serve: --help prints the flags", async () => {
  const result = await runCli(["serve", "--help"], { env: {} });
  assert.equal(result.code, 0);
  for (const flag of ["--port", "--hostname", "--tolerance", "--max-body-bytes", "--data-dir"]) {
    assert.match(result.stdout, new RegExp(flag));
  }
});

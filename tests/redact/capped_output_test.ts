/**
 * Every place that caps text it prints or records redacts before it cuts: a cut must not
 * leave a readable piece of a known secret behind.
 */
import assert from "node:assert/strict";
import type { StoredEvent } from "../../lib/store/mod.ts";
import {
  createExecHandler,
  DEFAULT_EXEC_OUTPUT_BYTES,
  type ExecReport,
} from "../../lib/handoff/mod.ts";
import { stderrTail } from "../../lib/cli/serve_log.ts";
import { remoteSource } from "../../lib/cli/events_source.ts";
import { createRedactor, CUT_MARK } from "../../lib/redact/mod.ts";
import { runCli } from "../support/cli.ts";
import { startMcp, tempProject } from "../support/mcp_session.ts";
import { startRecordingServer } from "../support/recording_server.ts";
import { survivingFragments } from "../support/secret_fragments.ts";

const SECRET = "cut-canary-" + "0123456789abcdefghijklmnop"; // 37 characters

function recordingServer(answer: () => Response) {
  const server = startRecordingServer(answer);
  return Object.assign(server, { [Symbol.asyncDispose]: () => server.close() });
}

function fetchEnv(serverUrl: string): Record<string, string> {
  const port = new URL(serverUrl).port;
  return {
    WEBHOOK_SECRET: SECRET,
    EGRESS_ALLOW_HOSTS: `http://localhost:${port}`,
    EGRESS_ALLOW_PRIVATE: "localhost",
  };
}

Deno.test("fetch --max-chars cutting through a secret prints no piece of it", async () => {
  await using server = recordingServer(() => new Response(`12345${SECRET} and the rest`));
  const url = `http://localhost:${new URL(server.url).port}/`;
  for (const maxChars of ["10", "30", "41"]) {
    const result = await runCli(["fetch", url, "--max-chars", maxChars], {
      env: fetchEnv(server.url),
    });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(survivingFragments(result.stdout, SECRET), [], result.stdout);
    assert.ok(result.stdout.startsWith("12345"), result.stdout);
  }
});

Deno.test("fetch --max-bytes stopping inside a secret prints no piece of it", async () => {
  await using server = recordingServer(() =>
    new Response(`${"head ".repeat(30)}${SECRET} and the rest`)
  );
  const url = `http://localhost:${new URL(server.url).port}/`;
  const result = await runCli(["fetch", url, "--max-bytes", "170", "--json"], {
    env: fetchEnv(server.url),
  });
  assert.equal(result.code, 0, result.stderr);
  const body = JSON.parse(result.stdout).body as string;
  assert.deepEqual(survivingFragments(body, SECRET, 4), [], body);
  assert.ok(body.startsWith("head "), body);
});

Deno.test("send prints no piece of a secret that the receiver's capped answer cut through", async () => {
  const cap = 64 * 1024;
  await using server = recordingServer(() => new Response("x".repeat(cap - 10) + SECRET));
  const result = await runCli(["send", server.url, "--data", '{"id":"e1"}'], {
    env: { WEBHOOK_SECRET: SECRET },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stdout.startsWith("200 xxx"), result.stdout.slice(0, 20));
  assert.deepEqual(survivingFragments(result.stdout, SECRET), []);
  assert.deepEqual(survivingFragments(result.stderr, SECRET), []);
});

Deno.test("an exec child's output cut at its byte cap keeps no piece of a known secret", async () => {
  const reports: ExecReport[] = [];
  const kept = 23;
  const filler = DEFAULT_EXEC_OUTPUT_BYTES - kept;
  const act = createExecHandler({
    command: `head -c ${filler} /dev/zero | tr '\\000' x; printf '%s' '${SECRET}'; ` +
      `head -c ${filler} /dev/zero | tr '\\000' y >&2; printf '%s' '${SECRET}' >&2`,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    envAllowlist: [],
    timeoutMs: 10_000,
    secrets: [SECRET],
    onOutput: (report) => reports.push(report),
  });
  const event: StoredEvent = {
    route: "webhook",
    key: "id:e1",
    id: "e1",
    payload: new TextEncoder().encode('{"id":"e1"}'),
    receivedAtMs: Date.now(),
    attempt: 1,
    status: "pending",
    lastError: null,
  };
  assert.deepEqual(await act(event), { ok: true });
  const [report] = reports;
  assert.ok(report);
  assert.equal(report.stdoutTruncated, true);
  assert.equal(report.stderrTruncated, true);
  assert.ok(report.stderr.startsWith("yyy"));
  assert.deepEqual(survivingFragments(report.stdout, SECRET, 4), [], report.stdout.slice(-40));
  assert.deepEqual(survivingFragments(report.stderr, SECRET, 4), [], report.stderr.slice(-40));
});

Deno.test("an unusable URL quoted in a denial is cut without leaving a piece of a known secret", async () => {
  for (const before of [70, 80, 90]) {
    const url = `https://api.example.com/a b?q=${"q".repeat(before - 31)}${SECRET}&more`;
    const result = await runCli(["fetch", "--dry-run", url], {
      env: { WEBHOOK_SECRET: SECRET, EGRESS_ALLOW_HOSTS: "api.example.com" },
    });
    assert.equal(result.code, 77, result.stderr);
    assert.match(result.stdout, /^denied host=/);
    assert.deepEqual(survivingFragments(result.stdout + result.stderr, SECRET), [], result.stdout);
  }
});

Deno.test("an agent's stderr line cut for the log keeps no piece of a known secret once printed", () => {
  const printing = createRedactor({ secrets: [SECRET] });
  for (const before of [170, 180, 190, 195]) {
    const [line] = stderrTail(`${"e".repeat(before)}${SECRET} and more\n`);
    assert.ok(line?.endsWith(CUT_MARK), line);
    const printed = printing.text(line as string);
    assert.deepEqual(survivingFragments(printed, SECRET, 4), [], printed.slice(-30));
  }
});

Deno.test("a server's error answer cut for a message keeps no piece of a secret once printed", async () => {
  const printing = createRedactor({ secrets: [SECRET] });
  for (const before of [170, 185, 195]) {
    // Words, as an error answer has them: the cut drops the one it leaves unfinished.
    const answer = `${"eeeeeeeee ".repeat(20).slice(0, before)}${SECRET} password=hunter2hunter2`;
    const source = remoteSource(
      new URL("http://127.0.0.1:9/"),
      "token",
      () => Promise.resolve(new Response(answer, { status: 500 })),
    );
    const error = await source.list("dead", 10).then(() => null, (e: Error) => e);
    assert.ok(error instanceof Error);
    const printed = printing.text(error.message);
    assert.match(printed, /answered 500: e+ e+/);
    assert.deepEqual(survivingFragments(printed, SECRET, 4), [], printed.slice(-30));
  }
});

Deno.test("mcp fetch_url cutting at max_bytes through a secret shows no piece of it", async () => {
  await using project = await tempProject(`WEBHOOK_SECRET=${SECRET}\n`);
  await using server = recordingServer(() => new Response(`${"x".repeat(80)}${SECRET} tail`));
  const port = new URL(server.url).port;
  await using mcp = await startMcp({
    cwd: project.dir,
    args: ["--tools", "fetch"],
    env: { EGRESS_ALLOW_HOSTS: `http://localhost:${port}`, EGRESS_ALLOW_PRIVATE: "localhost" },
  });
  const result = await mcp.callOk("fetch_url", {
    url: `http://localhost:${port}/`,
    max_bytes: 100,
  });
  assert.equal(result.truncated, true);
  assert.ok(String(result.body).startsWith("xxx"), String(result.body));
  assert.deepEqual(survivingFragments(String(result.body), SECRET, 4), [], String(result.body));
});

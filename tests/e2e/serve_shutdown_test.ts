/**
 * `serve` stopping with a hand-off backlog: one SIGTERM ends it within its
 * shutdown grace, quietly, losing nothing acknowledged; a second signal ends it
 * at once; a trickling HTTP client cannot hold it. The real subprocess, a slow
 * shell agent, signatures from node:crypto.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { runCli } from "../support/cli.ts";
import { type ServeProcess, startServe } from "../support/serve_process.ts";
import { tempDir } from "../support/temp_dir.ts";
import { eventually, fileLines as lines } from "../support/wait.ts";
import { assertNoStackTrace } from "../support/stderr_checks.ts";
import { survivors, writeOwnPid } from "../support/agent_processes.ts";

const SECRET = "shutdown-secret-" + crypto.randomUUID();
/** Slack on top of the grace for process start-up and exit on a loaded machine. */
const EXIT_SLACK_MS = 4_000;

function headers(body: string) {
  const ts = Math.floor(Date.now() / 1000);
  return {
    "content-type": "application/json",
    "x-timestamp": String(ts),
    "x-signature": createHmac("sha256", SECRET).update(`${ts}.${body}`).digest("hex"),
  };
}

async function deliver(server: ServeProcess, id: string): Promise<string> {
  const body = JSON.stringify({ id, event: "push" });
  const response = await fetch(`${server.url}/webhook`, {
    method: "POST",
    body,
    headers: headers(body),
  });
  return `${response.status} ${await response.text()}`;
}

/** Sends SIGTERM (or `signal`) and returns the exit code and how long the exit took. */
async function stopTimed(server: ServeProcess, signal: Deno.Signal = "SIGTERM") {
  const started = Date.now();
  const code = await server.stop(signal);
  return { code, tookMs: Date.now() - started };
}

function execArgs(dir: string, command: string, extra: string[] = []): string[] {
  return [
    "--data-dir",
    `${dir}/data`,
    "--exec",
    command,
    "--exec-env",
    "HANDLED_LOG",
    "--exec-concurrency",
    "1",
    ...extra,
  ];
}

const RECORD = `printf '%s\\n' "$HOOKGATE_EVENT_ID" >> "$HANDLED_LOG"`;

Deno.test(
  "serve --exec: one SIGTERM with a backlog exits 0 within the grace, prints no stack trace, and every accepted event reaches the agent after a restart",
  async () => {
    await using dir = await tempDir("hookgate-shutdown-");
    const log = `${dir.path}/handled.log`;
    const env = { WEBHOOK_SECRET: SECRET, HANDLED_LOG: log };
    const ids = Array.from({ length: 60 }, (_, i) => `evt-${i}`);
    const accepted: string[] = [];
    {
      await using server = await startServe({
        env,
        args: execArgs(dir.path, `sleep 0.3; ${RECORD}`, ["--shutdown-grace", "2s"]),
      });
      for (const id of ids) {
        if ((await deliver(server, id)) === '200 {"status":"accepted"}') accepted.push(id);
      }
      assert.equal(accepted.length, ids.length);
      const { code, tookMs } = await stopTimed(server);
      assert.equal(code, 0, server.stderr());
      assert.ok(tookMs < 2_000 + EXIT_SLACK_MS, `exit took ${tookMs} ms with a 2 s grace`);
      assertNoStackTrace(server.stderr());
      assert.ok(
        (await lines(log)).length < ids.length,
        "the agent handled the whole backlog before the signal: the test proves nothing",
      );
    }
    await using again = await startServe({ env, args: execArgs(dir.path, RECORD) });
    await eventually("every accepted event reached the agent", async () => {
      const handled = new Set(await lines(log));
      return accepted.every((id) => handled.has(id));
    });
    assertNoStackTrace(again.stderr());
  },
);

Deno.test(
  "serve --exec: an agent still running at the shutdown deadline is killed and its event handed out again after a restart",
  async () => {
    await using dir = await tempDir("hookgate-shutdown-");
    const log = `${dir.path}/handled.log`;
    const pids = `${dir.path}/agent.pid`;
    const env = { WEBHOOK_SECRET: SECRET, HANDLED_LOG: log, AGENT_PIDS: pids };
    // The host PID (inside the agent's PID namespace $$ is the namespace's own number).
    const hanging = `${writeOwnPid('"$AGENT_PIDS"')}; exec sleep 300`;
    {
      await using server = await startServe({
        env,
        args: [
          ...execArgs(dir.path, hanging, ["--shutdown-grace", "1s"]),
          "--exec-env",
          "AGENT_PIDS",
        ],
      });
      assert.equal(await deliver(server, "stuck"), '200 {"status":"accepted"}');
      await eventually("the agent started", async () => (await lines(pids)).length > 0);
      const { code, tookMs } = await stopTimed(server);
      assert.equal(code, 0, server.stderr());
      assert.ok(tookMs < 1_000 + EXIT_SLACK_MS, `exit took ${tookMs} ms with a 1 s grace`);
      assertNoStackTrace(server.stderr());
    }
    const pid = Number((await lines(pids))[0]);
    assert.deepEqual(await survivors([pid], 5_000), [], "the agent outlived the shutdown");
    // Handed out again at once on the next start (released, not left to its lease).
    await using _again = await startServe({ env, args: execArgs(dir.path, RECORD) });
    await eventually("the stopped event reached the next agent", async () => {
      return (await lines(log)).includes("stuck");
    }, 8_000);
  },
);

Deno.test(
  "serve: a second signal during shutdown exits at once and says so; the event stays pending",
  async () => {
    await using dir = await tempDir("hookgate-shutdown-");
    const log = `${dir.path}/handled.log`;
    const pids = `${dir.path}/agent.pid`;
    const env = { WEBHOOK_SECRET: SECRET, HANDLED_LOG: log, AGENT_PIDS: pids };
    {
      await using server = await startServe({
        env,
        args: [
          ...execArgs(dir.path, `echo $$ >> "$AGENT_PIDS"; exec sleep 300`, [
            "--shutdown-grace",
            "60s",
          ]),
          "--exec-env",
          "AGENT_PIDS",
        ],
      });
      assert.equal(await deliver(server, "twice"), '200 {"status":"accepted"}');
      await eventually("the agent started", async () => (await lines(pids)).length > 0);
      Deno.kill(server.pid, "SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 300));
      const { code, tookMs } = await stopTimed(server, "SIGINT");
      assert.equal(code, 1);
      assert.ok(tookMs < EXIT_SLACK_MS, `exit took ${tookMs} ms after the second signal`);
      assert.match(server.stderr(), /second signal: exiting now/);
      assertNoStackTrace(server.stderr());
    }
    for (const pid of await lines(pids)) {
      try {
        Deno.kill(Number(pid), "SIGKILL");
      } catch {
        // gone already
      }
    }
    await using _again = await startServe({ env, args: execArgs(dir.path, RECORD) });
    await eventually("the event reached the next agent", async () => {
      return (await lines(log)).includes("twice");
    });
  },
);

Deno.test(
  "serve: a client trickling its request does not hold the shutdown past the grace",
  async () => {
    await using dir = await tempDir("hookgate-shutdown-");
    await using server = await startServe({
      env: { WEBHOOK_SECRET: SECRET },
      args: ["--data-dir", `${dir.path}/data`, "--shutdown-grace", "1s"],
    });
    const { port } = new URL(server.url);
    const connection = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
    try {
      const head = "POST /webhook HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n" +
        "content-length: 100000\r\n\r\n{";
      await connection.write(new TextEncoder().encode(head));
      await new Promise((resolve) => setTimeout(resolve, 200));
      const { code, tookMs } = await stopTimed(server);
      assert.equal(code, 0, server.stderr());
      assert.ok(tookMs < 1_000 + EXIT_SLACK_MS, `exit took ${tookMs} ms with a 1 s grace`);
      assertNoStackTrace(server.stderr());
    } finally {
      connection.close();
    }
  },
);

Deno.test("serve --pull accepts events and hands none off; they stay pending", async () => {
  await using dir = await tempDir("hookgate-pull-");
  {
    await using server = await startServe({
      env: { WEBHOOK_SECRET: SECRET },
      args: ["--data-dir", `${dir.path}/data`, "--pull"],
    });
    assert.equal(await deliver(server, "for-mcp"), '200 {"status":"accepted"}');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await server.stop(), 0);
    assert.equal(server.stdout(), "", "an event was handed off (printed) despite --pull");
  }
  const kv = await Deno.openKv(`${dir.path}/data/hookgate.kv`);
  try {
    const record = await kv.get<{ status: string; attempt: number }>([
      "hookgate",
      "event",
      "webhook",
      "id:for-mcp",
    ]);
    assert.equal(record.value?.status, "pending");
    assert.equal(record.value?.attempt, 0);
  } finally {
    kv.close();
  }
});

Deno.test("serve --pull with --exec is a usage error (64) that says why", async () => {
  const result = await runCli(["serve", "--pull", "--exec", "true"], {
    env: { WEBHOOK_SECRET: SECRET },
  });
  assert.equal(result.code, 64);
  assert.match(result.stderr, /--pull and --exec exclude each other/);
});

Deno.test("serve --shutdown-grace takes a duration; anything else is a usage error", async () => {
  const result = await runCli(["serve", "--shutdown-grace", "soon"], {
    env: { WEBHOOK_SECRET: SECRET },
  });
  assert.equal(result.code, 64);
  assert.match(result.stderr, /--shutdown-grace must be a duration/);
});

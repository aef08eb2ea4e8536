/**
 * `serve --store redis://…` stopping with a hand-off backlog: one SIGTERM ends it within its
 * shutdown grace, quietly, and every event answered "accepted" reaches the agent after a
 * restart; an agent still running at the deadline is killed and its event handed out again
 * at once. A real redis-server, the real subprocess, a slow shell agent.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { redisServerAvailable, startRedisServer } from "../support/redis_server.ts";
import { type ServeProcess, startServe } from "../support/serve_process.ts";
import { tempDir } from "../support/temp_dir.ts";
import { eventually, fileLines as lines } from "../support/wait.ts";
import { assertNoStackTrace } from "../support/stderr_checks.ts";
import { survivors, writeOwnPid } from "../support/agent_processes.ts";

const SECRET = "redis-shutdown-secret-" + crypto.randomUUID();
/** Slack on top of the grace for process start-up and exit on a loaded machine. */
const EXIT_SLACK_MS = 4_000;
const ignore = !redisServerAvailable();

async function deliver(server: ServeProcess, id: string): Promise<string> {
  const body = JSON.stringify({ id, event: "push" });
  const ts = Math.floor(Date.now() / 1000);
  const response = await fetch(`${server.url}/webhook`, {
    method: "POST",
    body,
    headers: {
      "x-timestamp": String(ts),
      "x-signature": createHmac("sha256", SECRET).update(`${ts}.${body}`).digest("hex"),
    },
  });
  return `${response.status} ${await response.text()}`;
}

function args(store: string, dataDir: string, command: string, extra: string[] = []): string[] {
  return [
    "--store",
    store,
    "--data-dir",
    dataDir,
    "--exec",
    command,
    "--exec-env",
    "HANDLED_LOG",
    "--exec-env",
    "AGENT_PIDS",
    "--exec-concurrency",
    "2",
    ...extra,
  ];
}

const RECORD = `printf '%s\\n' "$HOOKGATE_EVENT_ID" >> "$HANDLED_LOG"`;

Deno.test({
  name:
    "serve --store redis: one SIGTERM with a backlog exits 0 within the grace, quietly, and every accepted event reaches the agent after a restart",
  ignore,
  fn: async () => {
    await using redis = await startRedisServer();
    await using dir = await tempDir("hookgate-redis-shutdown-");
    const log = `${dir.path}/handled.log`;
    const env = { WEBHOOK_SECRET: SECRET, HANDLED_LOG: log, AGENT_PIDS: `${dir.path}/pids` };
    const ids = Array.from({ length: 60 }, (_, i) => `evt-${i}`);
    const accepted: string[] = [];
    {
      await using server = await startServe({
        env,
        args: args(redis.url, `${dir.path}/data`, `sleep 0.3; ${RECORD}`, [
          "--shutdown-grace",
          "2s",
        ]),
      });
      for (const id of ids) {
        if ((await deliver(server, id)) === '200 {"status":"accepted"}') accepted.push(id);
      }
      assert.equal(accepted.length, ids.length);
      const started = Date.now();
      const code = await server.stop("SIGTERM");
      const tookMs = Date.now() - started;
      assert.equal(code, 0, server.stderr());
      assert.ok(tookMs < 2_000 + EXIT_SLACK_MS, `exit took ${tookMs} ms with a 2 s grace`);
      assertNoStackTrace(server.stderr());
      assert.ok(
        (await lines(log)).length < ids.length,
        "the agent handled the whole backlog before the signal: the test proves nothing",
      );
    }
    await using _again = await startServe({
      env,
      args: args(redis.url, `${dir.path}/data`, RECORD),
    });
    await eventually("every accepted event reached the agent", async () => {
      const handled = new Set(await lines(log));
      return accepted.every((id) => handled.has(id));
    });
  },
});

Deno.test({
  name:
    "serve --store redis: an agent still running at the shutdown deadline is killed and its event handed out again at once after a restart",
  ignore,
  fn: async () => {
    await using redis = await startRedisServer();
    await using dir = await tempDir("hookgate-redis-shutdown-");
    const log = `${dir.path}/handled.log`;
    const pids = `${dir.path}/pids`;
    const env = { WEBHOOK_SECRET: SECRET, HANDLED_LOG: log, AGENT_PIDS: pids };
    // A visibility timeout far beyond the test: only the release can bring the event back.
    const store = `${redis.url}/0?visibility_timeout=10m`;
    {
      await using server = await startServe({
        env,
        args: args(store, `${dir.path}/data`, `${writeOwnPid('"$AGENT_PIDS"')}; exec sleep 300`, [
          "--shutdown-grace",
          "1s",
        ]),
      });
      assert.equal(await deliver(server, "stuck"), '200 {"status":"accepted"}');
      await eventually("the agent started", async () => (await lines(pids)).length > 0);
      const code = await server.stop("SIGTERM");
      assert.equal(code, 0, server.stderr());
      assertNoStackTrace(server.stderr());
    }
    const pid = Number((await lines(pids))[0]);
    assert.deepEqual(await survivors([pid], 5_000), [], "the agent outlived the shutdown");
    await using _again = await startServe({
      env,
      args: args(store, `${dir.path}/data`, RECORD),
    });
    await eventually("the stopped event reached the next agent", async () => {
      return (await lines(log)).includes("stuck");
    }, 8_000);
  },
});

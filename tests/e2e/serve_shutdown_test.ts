/**
 * `serve` stopping with a hand-off backlog: one SIGTERM ends it within its
 * shutdown grace, quietly, losing nothing acknowledged; a second signal ends it
 * at once; a trickling HTTP client cannot hold it. The real subprocess, a slow
 * shell agent, signatures from node:crypto.
 */
import assert from "node:assert/strict";
import { openStore } from "../../lib/store/mod.ts";
import { closing } from "../support/closing.ts";
import { writeOwnPid } from "../support/agent_processes.ts";
import { runCli } from "../support/cli.ts";
import { startServe } from "../support/serve_process.ts";
import { tempDir } from "../support/temp_dir.ts";
import { eventually, fileLines as lines } from "../support/wait.ts";
import { assertNoStackTrace } from "../support/stderr_checks.ts";
import {
  ACCEPTED,
  agentArgs,
  agentFiles,
  backlogSurvivesSigterm,
  deliver,
  EXIT_SLACK_MS,
  hangingAgentIsReleased,
  RECORD,
  SHUTDOWN_SECRET as SECRET,
  stopTimed,
} from "../support/shutdown_scenarios.ts";

Deno.test(
  "serve --exec: one SIGTERM with a backlog exits 0 within the grace, prints no stack trace, and every accepted event reaches the agent after a restart",
  () => backlogSurvivesSigterm({}),
);

Deno.test(
  "serve --exec: an agent still running at the shutdown deadline is killed and its event handed out again after a restart",
  () => hangingAgentIsReleased({}),
);

Deno.test(
  "serve: a second signal during shutdown exits at once and says so; the event stays pending",
  async () => {
    await using files = await agentFiles();
    const { dir, env, log, pids } = files;
    {
      await using server = await startServe({
        env,
        args: agentArgs(dir, `${writeOwnPid('"$AGENT_PIDS"')}; exec sleep 300`, [
          "--shutdown-grace",
          "60s",
        ]),
      });
      assert.equal(await deliver(server, "twice"), ACCEPTED);
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
    await using _again = await startServe({ env, args: agentArgs(dir, RECORD) });
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
      // No agent was at work: nothing is said to be running, or to stay pending.
      assert.match(server.stderr(), /hookgate: stopping \(Ctrl-C again to exit now\)/);
      assert.doesNotMatch(server.stderr(), /hand-off/);
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
    assert.equal(await deliver(server, "for-mcp"), ACCEPTED);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await server.stop(), 0);
    assert.equal(server.stdout(), "", "an event was handed off (printed) despite --pull");
  }
  await using store = closing(await openStore("", { dataDir: `${dir.path}/data` }));
  const stored = await store.get("webhook", "id:for-mcp");
  assert.equal(stored?.status, "pending");
  assert.equal(stored?.attempt, 0);
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

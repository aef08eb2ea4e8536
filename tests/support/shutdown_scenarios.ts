/**
 * `serve --exec` stopping with work in hand, as scenarios each store runs: one
 * SIGTERM with a backlog ends within the grace and loses nothing accepted; an
 * agent still running at the deadline is killed and its event handed out again
 * at once after a restart. The real subprocess, a shell agent.
 */
import assert from "node:assert/strict";
import { survivors, writeOwnPid } from "./agent_processes.ts";
import { type ServeProcess, startServe } from "./serve_process.ts";
import { assertNoStackTrace } from "./stderr_checks.ts";
import { tempDir } from "./temp_dir.ts";
import { eventually, fileLines as lines } from "./wait.ts";
import { postSigned } from "./signing.ts";

export const SHUTDOWN_SECRET = "shutdown-secret-" + crypto.randomUUID();
/** Slack on top of the grace for process start-up and exit on a loaded machine. */
export const EXIT_SLACK_MS = 4_000;
/** An agent that appends its event's id to $HANDLED_LOG. */
export const RECORD = `printf '%s\\n' "$HOOKGATE_EVENT_ID" >> "$HANDLED_LOG"`;
export const ACCEPTED = '200 {"status":"accepted"}';

/** POSTs a signed event `id` to /webhook; answers "<status> <body>". */
export async function deliver(server: ServeProcess, id: string): Promise<string> {
  const response = await postSigned(
    server.url,
    JSON.stringify({ id, event: "push" }),
    SHUTDOWN_SECRET,
  );
  return `${response.status} ${await response.text()}`;
}

/** Sends SIGTERM (or `signal`) and returns the exit code and how long the exit took. */
export async function stopTimed(server: ServeProcess, signal: Deno.Signal = "SIGTERM") {
  const started = Date.now();
  const code = await server.stop(signal);
  return { code, tookMs: Date.now() - started };
}

export interface AgentSetup {
  /** The --store value; the default KV file under --data-dir when absent. */
  store?: string;
  /** The --exec-concurrency (1 when absent). */
  concurrency?: number;
}

/**
 * serve's arguments for an agent `command` that may use $HANDLED_LOG and
 * $AGENT_PIDS, with its data under `dir`/data.
 */
export function agentArgs(
  dir: string,
  command: string,
  extra: string[] = [],
  setup: AgentSetup = {},
): string[] {
  return [
    ...(setup.store === undefined ? [] : ["--store", setup.store]),
    "--data-dir",
    `${dir}/data`,
    "--exec",
    command,
    "--exec-env",
    "HANDLED_LOG",
    "--exec-env",
    "AGENT_PIDS",
    "--exec-concurrency",
    String(setup.concurrency ?? 1),
    ...extra,
  ];
}

/** A temporary directory with the agent's log and PID file, and serve's environment for them. */
export async function agentFiles() {
  const dir = await tempDir("hookgate-shutdown-");
  const log = `${dir.path}/handled.log`;
  const pids = `${dir.path}/agent.pid`;
  return {
    dir: dir.path,
    log,
    pids,
    env: { WEBHOOK_SECRET: SHUTDOWN_SECRET, HANDLED_LOG: log, AGENT_PIDS: pids },
    [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose](),
  };
}

/** One SIGTERM with a backlog exits 0 within a 2 s grace, quietly; a restart hands out the rest. */
export async function backlogSurvivesSigterm(setup: AgentSetup): Promise<void> {
  await using files = await agentFiles();
  const { dir, env, log } = files;
  const ids = Array.from({ length: 60 }, (_, i) => `evt-${i}`);
  const accepted: string[] = [];
  {
    await using server = await startServe({
      env,
      args: agentArgs(dir, `sleep 0.3; ${RECORD}`, ["--shutdown-grace", "2s"], setup),
    });
    for (const id of ids) {
      if ((await deliver(server, id)) === ACCEPTED) accepted.push(id);
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
  await using again = await startServe({ env, args: agentArgs(dir, RECORD, [], setup) });
  await eventually("every accepted event reached the agent", async () => {
    const handled = new Set(await lines(log));
    return accepted.every((id) => handled.has(id));
  });
  assertNoStackTrace(again.stderr());
}

/**
 * An agent still running at a 1 s shutdown deadline is killed, serve exits 0 in
 * time, and the next start hands the event out again at once (released, not left
 * to its lease or visibility timeout).
 */
export async function hangingAgentIsReleased(setup: AgentSetup): Promise<void> {
  await using files = await agentFiles();
  const { dir, env, log, pids } = files;
  // The host PID (inside the agent's PID namespace $$ is the namespace's own number).
  const hanging = `${writeOwnPid('"$AGENT_PIDS"')}; exec sleep 300`;
  {
    await using server = await startServe({
      env,
      args: agentArgs(dir, hanging, ["--shutdown-grace", "1s"], setup),
    });
    assert.equal(await deliver(server, "stuck"), ACCEPTED);
    await eventually("the agent started", async () => (await lines(pids)).length > 0);
    const { code, tookMs } = await stopTimed(server);
    assert.equal(code, 0, server.stderr());
    assert.ok(tookMs < 1_000 + EXIT_SLACK_MS, `exit took ${tookMs} ms with a 1 s grace`);
    assertNoStackTrace(server.stderr());
    assert.match(
      server.stderr(),
      /stopping: a hand-off still running \(webhook\/id:stuck\) may finish within 1s, else it stays pending for the next start/,
      "the wait after the signal is explained",
    );
    assert.match(
      server.stderr(),
      /the shutdown stopped the agent on webhook\/id:stuck: it stays pending and is handed off again at the next start/,
      "the event cut short is named",
    );
  }
  const pid = Number((await lines(pids))[0]);
  assert.deepEqual(await survivors([pid], 5_000), [], "the agent outlived the shutdown");
  await using _again = await startServe({ env, args: agentArgs(dir, RECORD, [], setup) });
  await eventually("the stopped event reached the next agent", async () => {
    return (await lines(log)).includes("stuck");
  }, 8_000);
}

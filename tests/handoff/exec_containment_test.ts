/**
 * What contains an `--exec` agent: nothing it starts outlives its timeout, an
 * abort of the hand-off, or hookgate itself. Real processes, bounded waits.
 */
import assert from "node:assert/strict";
import { type Launch, runArgv } from "../../lib/handoff/mod.ts";
import { watchHandoffs } from "../../lib/cli/handoff_watch.ts";
import { readPid, survivors, writeOwnPid } from "../support/agent_processes.ts";
import {
  agentDir,
  execHandler as handler,
  PATH,
  storedEvent as event,
  withinSeconds,
} from "../support/exec_handoff.ts";

const NAMESPACE: Launch = { containment: "pid-namespace", identity: null };
const USER_NAMESPACE: Launch = { containment: "user-pid-namespace", identity: null };
const GROUP: Launch = { containment: "process-group", identity: null };

/**
 * An agent that writes its PID, starts a grandchild that leaves its process
 * group and session (`setsid`) and writes its PID, then sleeps.
 */
function escapingAgent(dir: string): string {
  return `${writeOwnPid(`'${dir}/agent.pid'`)}; ` +
    `setsid sh -c '${writeOwnPid(`"$0/escaped.pid"`)}; exec sleep 300' '${dir}' ` +
    `</dev/null >/dev/null 2>&1 & sleep 300`;
}

const NAMESPACES = [
  ["a PID namespace", NAMESPACE],
  ["a user namespace", USER_NAMESPACE],
] as const;

for (const [name, launch] of NAMESPACES) {
  Deno.test(`an agent in ${name} and a grandchild that left its process group with setsid are both gone at the timeout`, async () => {
    await using agent = await agentDir();
    const dir = agent.path;
    const outcome = await withinSeconds(
      30,
      handler(escapingAgent(dir), { timeoutMs: 1_000, launch })(event()),
    );
    assert.equal(outcome.ok, false);
    assert.match(outcome.ok ? "" : outcome.error, /timed out after 1000 ms/);
    const pids = [await readPid(`${dir}/agent.pid`), await readPid(`${dir}/escaped.pid`)];
    assert.deepEqual(await survivors(pids, 5_000), [], "still running after the timeout");
  });
}

Deno.test("an agent's shell in a PID namespace is the namespace's init", async () => {
  const result = await runArgv(["/bin/sh", "-c", 'echo "$$"'], {
    stdin: new Uint8Array(),
    env: { PATH },
    timeoutMs: 10_000,
    maxOutputBytes: 64,
    launch: NAMESPACE,
  });
  assert.equal(result.exitCode, 0);
  assert.equal(new TextDecoder().decode(result.stdout.bytes), "1\n");
});

Deno.test("aborting the hand-off's signal kills the agent's whole containment at once and returns", async () => {
  await using agent = await agentDir();
  const dir = agent.path;
  const consumer = new AbortController();
  // The agent ignores SIGTERM: only the immediate kill of the containment ends it.
  const running = handler(`trap '' TERM; ${escapingAgent(dir)}`, { launch: NAMESPACE })(
    event(),
    { signal: consumer.signal },
  );
  const pids = [await readPid(`${dir}/agent.pid`), await readPid(`${dir}/escaped.pid`)];
  consumer.abort();
  const outcome = await withinSeconds(10, running);
  assert.deepEqual(outcome, { ok: false, error: "stopped by shutdown" });
  assert.deepEqual(await survivors(pids, 5_000), [], "still running after the abort");
});

Deno.test("aborting the hand-off's signal also stops an agent contained by its process group only", async () => {
  await using agent = await agentDir();
  const dir = agent.path;
  const consumer = new AbortController();
  const command = `trap '' TERM; ${writeOwnPid(`'${dir}/agent.pid'`)}; sleep 300`;
  const running = handler(command, { launch: GROUP })(event(), { signal: consumer.signal });
  const pid = await readPid(`${dir}/agent.pid`);
  consumer.abort();
  const outcome = await withinSeconds(10, running);
  assert.deepEqual(outcome, { ok: false, error: "stopped by shutdown" });
  assert.deepEqual(await survivors([pid], 5_000), []);
});

Deno.test("an agent whose parent dies is killed by the parent-death signal, in a namespace and in the process-group fallback", async () => {
  for (const launch of [NAMESPACE, GROUP]) {
    await using agent = await agentDir();
    const dir = agent.path;
    // A stand-in for serve: a Deno process that starts the agent, then is SIGKILLed.
    const script = `${dir}/parent.ts`;
    await Deno.writeTextFile(
      script,
      `import { runExec } from "${new URL("../../lib/handoff/mod.ts", import.meta.url).href}";
await runExec(Deno.args[0], { stdin: new Uint8Array(), env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
  timeoutMs: 300_000, maxOutputBytes: 1024, launch: JSON.parse(Deno.args[1]) });`,
    );
    const parent = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        script,
        `${writeOwnPid(`'${dir}/agent.pid'`)}; sleep 300`,
        JSON.stringify(launch),
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    const pid = await readPid(`${dir}/agent.pid`);
    parent.kill("SIGKILL");
    await parent.status;
    assert.deepEqual(
      await survivors([pid], 5_000),
      [],
      `${launch.containment}: agent outlived its parent`,
    );
  }
});

Deno.test("serve's hand-off watch passes the consumer's stop signal through to the agent", async () => {
  await using agent = await agentDir();
  const dir = agent.path;
  const consumer = new AbortController();
  const act = handler(`${writeOwnPid(`'${dir}/agent.pid'`)}; sleep 300`, { launch: NAMESPACE });
  const watch = watchHandoffs(act, {
    maxAttempts: 5,
    retryDelayMs: () => 1_000,
    report: () => {},
    now: Date.now,
  });
  const running = watch.handler(event(), { signal: consumer.signal });
  const pid = await readPid(`${dir}/agent.pid`);
  consumer.abort();
  assert.deepEqual(await withinSeconds(10, running), { ok: false, error: "stopped by shutdown" });
  assert.deepEqual(await survivors([pid], 5_000), []);
});

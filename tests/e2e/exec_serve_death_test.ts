/**
 * When `serve` dies, however it dies, its agents die with it: SIGKILL the real
 * `serve` while its agent runs (and while a grandchild that left the agent's
 * process group with `setsid` runs), and both are gone within a bounded time.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { startServe } from "../support/serve_process.ts";
import { readPid, survivors, writeOwnPid } from "../support/agent_processes.ts";

const SECRET = "exec-death-canary-" + crypto.randomUUID();

Deno.test("SIGKILL of serve while its agent runs kills the agent and a setsid grandchild within seconds", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hookgate-exec-death-" });
  await Deno.writeTextFile(
    `${dir}/agent.sh`,
    `#!/bin/sh
${writeOwnPid('"$OUT/agent.pid"')}
setsid sh -c '${writeOwnPid('"$OUT/escaped.pid"')}; exec sleep 300' </dev/null >/dev/null 2>&1 &
sleep 300
`,
  );
  await Deno.chmod(`${dir}/agent.sh`, 0o755);
  const server = await startServe({
    env: { WEBHOOK_SECRET: SECRET, OUT: dir },
    args: ["--exec", "./agent.sh", "--exec-env", "OUT", "--exec-timeout", "10m"],
    cwd: dir,
  });
  const pids: number[] = [];
  try {
    const body = JSON.stringify({ id: crypto.randomUUID() });
    const ts = String(Math.floor(Date.now() / 1000));
    const response = await fetch(`${server.url}/webhook`, {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        "x-timestamp": ts,
        "x-signature": createHmac("sha256", SECRET).update(`${ts}.`).update(body).digest("hex"),
      },
    });
    assert.equal(response.status, 200, await response.text());
    pids.push(await readPid(`${dir}/agent.pid`), await readPid(`${dir}/escaped.pid`));
    assert.deepEqual(
      await survivors(pids, 0),
      pids,
      `the agent should be running before the kill; serve said:\n${server.stderr()}`,
    );
    await server.stop("SIGKILL");
    assert.deepEqual(await survivors(pids, 5_000), [], "agents outlived their serve");
  } finally {
    await server.stop("SIGKILL");
    for (const pid of pids) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // gone, as it should be
      }
    }
    await Deno.remove(dir, { recursive: true });
  }
});

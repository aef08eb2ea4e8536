/**
 * What a running `hookgate mcp` may do, probed from inside the process (the
 * permission probe, preloaded and triggered by SIGUSR1) under the mcp task's
 * flags: never run a program or touch files outside its directory, and hold no
 * net at all when it has no host to reach.
 */
import assert from "node:assert/strict";
import { startMcp, tempProject } from "../support/mcp_session.ts";

const PROBE = new URL("../support/permission_probe.ts", import.meta.url).pathname;

async function probeOf(
  options: { args: string[]; env?: Record<string, string> },
): Promise<Record<string, string>> {
  await using project = await tempProject("WEBHOOK_SECRET=mcp-permissions-secret-0123456789\n");
  const outside = await Deno.makeTempDir({ prefix: "hookgate-outside-" });
  await using _outside = { [Symbol.asyncDispose]: () => Deno.remove(outside, { recursive: true }) };
  await Deno.writeTextFile(`${outside}/secret.txt`, "outside");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  using _listener = { [Symbol.dispose]: () => listener.close() };
  const port = listener.addr.port;
  await using mcp = await startMcp({
    cwd: project.dir,
    args: options.args,
    denoFlags: [`--preload=${PROBE}`],
    env: {
      ...options.env,
      HOOKGATE_PROBE: JSON.stringify({
        outsideFile: `${outside}/secret.txt`,
        outsideWrite: `${outside}/written.txt`,
        listedPort: port,
        unlistedPort: port,
      }),
    },
  });
  // A tool call first: by then the command has narrowed its permissions.
  await mcp.client.listTools();
  Deno.kill(mcp.pid, "SIGUSR1");
  const deadline = Date.now() + 15_000;
  while (!/probe \{.*\}/.test(mcp.stderr()) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const line = /probe (\{.*\})/.exec(mcp.stderr())?.[1];
  assert.ok(line, `no probe report on stderr:\n${mcp.stderr()}`);
  await assert.rejects(Deno.stat(`${outside}/written.txt`), Deno.errors.NotFound);
  return JSON.parse(line);
}

Deno.test("mcp --tools events on a local store holds no net, runs nothing, stays in its directory", async () => {
  const report = await probeOf({ args: ["--tools", "events"] });
  assert.equal(report.readEnv, "ok");
  assert.equal(report.readOutside, "NotCapable");
  assert.equal(report.writeOutside, "NotCapable");
  assert.equal(report.connectListed, "NotCapable");
  assert.equal(report.runShell, "NotCapable");
});

Deno.test("mcp --tools fetch writes nothing and runs nothing", async () => {
  const report = await probeOf({
    args: ["--tools", "fetch"],
    env: { EGRESS_ALLOW_HOSTS: "api.github.com" },
  });
  assert.equal(report.readOutside, "NotCapable");
  assert.equal(report.writeOutside, "NotCapable");
  assert.equal(report.runShell, "NotCapable");
});

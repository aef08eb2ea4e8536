/**
 * Least privilege under the REAL task flags, enforced: each command run with its deno.json
 * task's flags (tests/support/task_project.ts) is refused what its task does not grant, and
 * the refused thing did not happen (nothing written, no connection made, nothing sent).
 */
import assert from "node:assert/strict";
import { parsePermissionFlags } from "../../lib/setup/mod.ts";
import {
  countingListener,
  outsideDir,
  project,
  quietEnv,
  runFlags,
  runTask,
  task,
} from "../support/task_project.ts";

const PROBE = new URL("../support/permission_probe.ts", import.meta.url).pathname;

Deno.test("serve (task flags) refuses a --data-dir outside its directory: exit 77, nothing written", async () => {
  const outside = `${await outsideDir()}/data`;
  const result = await runTask("serve", ["--port", "0", "--data-dir", outside]);
  assert.equal(result.code, 77, result.stderr);
  assert.match(
    result.stderr,
    /permission denied: Requires write access to "[^"]*\/outside-/,
  );
  await assert.rejects(Deno.stat(outside), Deno.errors.NotFound);
});

Deno.test("serve (task flags) cannot connect to a store host that is not listed", async () => {
  const unlisted = countingListener("127.0.0.2");
  try {
    const result = await runTask("serve", [
      "--port",
      "0",
      "--store",
      `redis://127.0.0.2:${unlisted.port}`,
    ]);
    assert.notEqual(result.code, 0);
    assert.match(
      result.stderr,
      new RegExp(`Requires net access to "127\\.0\\.0\\.2:${unlisted.port}"`),
    );
    assert.equal(unlisted.accepted(), 0);
  } finally {
    await unlisted.close();
  }
});

interface ProbeReport {
  readEnv: string;
  readOutside: string;
  writeOutside: string;
  connectListed: string;
  connectUnlisted: string;
  runShell: string;
}

/**
 * Starts `serve` with its task's flags plus a preloaded probe, waits until it
 * listens, and has the probe (SIGUSR1) try, from inside the running server,
 * what its permissions must refuse.
 */
async function probeServe(
  args: string[],
): Promise<{ report: ProbeReport; outsideWrite: string; unlistedAccepted: number }> {
  const dir = await project();
  const outside = `${await outsideDir()}/secret.txt`;
  await Deno.writeTextFile(outside, "not for serve");
  const listed = countingListener("127.0.0.1");
  const unlisted = countingListener("127.0.0.2");
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...runFlags("serve"),
      "--preload",
      PROBE,
      "main.ts",
      "serve",
      "--port",
      "0",
      ...args,
    ],
    cwd: dir,
    clearEnv: true,
    env: quietEnv({
      HOOKGATE_PROBE: JSON.stringify({
        outsideFile: outside,
        outsideWrite: `${outside}.written`,
        listedPort: listed.port,
        unlistedPort: unlisted.port,
      }),
    }),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const decoder = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of child.stderr) stderr += decoder.decode(chunk, { stream: true });
  })();
  const waitFor = async (pattern: RegExp) => {
    for (let waitedMs = 0; waitedMs < 20_000; waitedMs += 50) {
      const match = pattern.exec(stderr);
      if (match) return match;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no ${pattern} from serve:\n${stderr}`);
  };
  try {
    await waitFor(/listening on http:/);
    child.kill("SIGUSR1");
    const match = await waitFor(/^probe (\{.*\})$/m);
    return {
      report: JSON.parse(match[1] as string) as ProbeReport,
      outsideWrite: `${outside}.written`,
      unlistedAccepted: unlisted.accepted(),
    };
  } finally {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    await child.status;
    await reading;
    await listed.close();
    await unlisted.close();
  }
}

Deno.test("serve (task flags) running cannot read or write outside its directory, nor connect to an unlisted host", async () => {
  const { report, outsideWrite, unlistedAccepted } = await probeServe([]);
  // The probe works where serve is allowed: the denials below are the permissions, not the probe.
  assert.equal(report.readEnv, "ok");
  assert.equal(report.connectListed, "ok");
  assert.equal(report.readOutside, "NotCapable");
  assert.equal(report.writeOutside, "NotCapable");
  await assert.rejects(Deno.stat(outsideWrite), Deno.errors.NotFound);
  assert.equal(report.connectUnlisted, "NotCapable");
  assert.equal(unlistedAccepted, 0);
});

Deno.test("fetch (task flags) cannot reach an unlisted host through a redirect", async () => {
  let unlistedRequests = 0;
  const unlisted = Deno.serve({ hostname: "127.0.0.2", port: 0, onListen() {} }, () => {
    unlistedRequests++;
    return new Response("reached the unlisted host");
  });
  const origin = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    if (new URL(request.url).pathname === "/ok") return new Response("allowed body\n");
    return new Response(null, {
      status: 302,
      headers: { location: `http://127.0.0.2:${unlisted.addr.port}/` },
    });
  });
  try {
    const env = {
      EGRESS_ALLOW_HOSTS: `http://localhost:${origin.addr.port}`,
      EGRESS_ALLOW_PRIVATE: "localhost",
    };
    const allowed = await runTask("fetch", [`http://localhost:${origin.addr.port}/ok`], env);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(allowed.stdout, "allowed body\n");

    const redirected = await runTask("fetch", [`http://localhost:${origin.addr.port}/go`], env);
    assert.equal(redirected.code, 77, redirected.stderr);
    assert.match(redirected.stderr, /egress to '127\.0\.0\.2' denied/);
    assert.doesNotMatch(redirected.stdout, /reached/);
    assert.equal(unlistedRequests, 0);
  } finally {
    await origin.shutdown();
    await unlisted.shutdown();
  }
});

Deno.test("send (task flags) cannot read a --file outside its directory, and sends nothing", async () => {
  const receiver = countingListener("127.0.0.1");
  const outside = `${await outsideDir()}/event.json`;
  await Deno.writeTextFile(outside, '{"id":"e1"}');
  try {
    const result = await runTask("send", [
      `http://127.0.0.1:${receiver.port}/webhook`,
      "--file",
      outside,
      "--retries",
      "0",
    ]);
    assert.equal(result.code, 77, result.stderr);
    assert.match(result.stderr, /Requires read access/);
    assert.equal(receiver.accepted(), 0);
  } finally {
    await receiver.close();
  }
});

Deno.test("narrowPermissions(): the binary's union, narrowed to serve, loses what serve's task lacks", async () => {
  const dir = await project();
  const script = `${dir}/../narrow.ts`;
  await Deno.writeTextFile(
    script,
    `import { narrowPermissions, parsePermissionFlags } from "${dir}/lib/setup/mod.ts";
const tasks = JSON.parse(Deno.readTextFileSync("deno.json")).tasks;
await narrowPermissions(parsePermissionFlags(tasks.serve), {
  granted: parsePermissionFlags(tasks.compile),
  drop: ["run"],
});
const attempt = (action) => { try { action(); return "ok"; } catch (error) { return error.name; } };
console.log(JSON.stringify({
  readEnv: attempt(() => Deno.readTextFileSync(".env")),
  readProject: attempt(() => Deno.readTextFileSync("deno.json")),
  writeData: attempt(() => { Deno.mkdirSync(".hookgate", { recursive: true }); Deno.writeTextFileSync(".hookgate/probe", "1"); }),
  writeEnv: attempt(() => Deno.writeTextFileSync(".env", Deno.readTextFileSync(".env"))),
  runGit: attempt(() => new Deno.Command("git", { args: ["--version"] }).outputSync()),
  runShell: attempt(() => new Deno.Command("/bin/sh", { args: ["-c", "true"] }).outputSync()),
}));
`,
  );
  // The union grants "." (send's --file, init's temporary file): deno.json is readable under
  // it, and must not be once narrowed to serve's set.
  const compileFlags = task("compile").split(/\s+/).filter((token) =>
    token.startsWith("--allow-") || token === "--no-prompt"
  );
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...compileFlags, script],
    cwd: dir,
    clearEnv: true,
    env: quietEnv(),
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.deepEqual(JSON.parse(new TextDecoder().decode(stdout)), {
    readEnv: "ok",
    readProject: "NotCapable",
    writeData: "ok",
    writeEnv: "NotCapable",
    runGit: "NotCapable",
    runShell: "NotCapable",
  });
});

Deno.test("serve (task flags) without --exec cannot run a program once started", async () => {
  // The task grants run (for --exec); serve gives it back at start-up when --exec is absent.
  assert.equal(parsePermissionFlags(task("serve")).run, "all");
  const { report } = await probeServe([]);
  assert.equal(report.readEnv, "ok");
  assert.equal(report.runShell, "NotCapable");
});

/**
 * Least privilege under the REAL task flags: deno.json is the one source. The
 * subprocess tests copy the program into a temporary project directory (so
 * the tasks' relative paths such as `.env` and `.hookgate` resolve there, as
 * they do for `deno task` in a checkout) and run it with the flags parsed
 * from deno.json.
 */
import assert from "node:assert/strict";
import denoConfig from "../../deno.json" with { type: "json" };
import { childEnv } from "../support/cli.ts";
import {
  narrowPermissions,
  parsePermissionFlags,
  PERMISSION_KINDS,
  type PermissionSet,
  unionPermissions,
} from "../../lib/setup/mod.ts";

const TASKS: Record<string, string> = denoConfig.tasks;
/** Every hookgate command has a task of its own name. */
const COMMAND_TASKS = [
  "serve",
  "send",
  "fetch",
  "mcp",
  "redact",
  "init",
  "doctor",
  "token",
  "rotate",
  "events",
  "ui",
];
const ROOT = new URL("../../", import.meta.url).pathname;
const PROBE = new URL("../support/permission_probe.ts", import.meta.url).pathname;
const SECRET = "permissions-test-secret-0123456789abcdef";

function task(name: string): string {
  const line = TASKS[name];
  assert.ok(line, `deno.json has no '${name}' task`);
  return line;
}

/** The tasks that run hookgate's main.ts: one per command. */
function commandTaskNames(): string[] {
  return Object.keys(TASKS).filter((name) => /^deno run .*\smain\.ts\s/.test(TASKS[name] ?? ""));
}

/** The deno flags of a task, i.e. everything between `deno run` and `main.ts`. */
function runFlags(name: string): string[] {
  const tokens = task(name).split(/\s+/);
  assert.equal(tokens.slice(0, 2).join(" "), "deno run");
  const script = tokens.indexOf("main.ts");
  assert.ok(script > 2, `task '${name}' does not run main.ts`);
  return tokens.slice(2, script);
}

/** Sorted, so two grants compare equal whatever order their entries are listed in. */
function canonical(set: PermissionSet): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const kind of PERMISSION_KINDS) {
    const grant = set[kind];
    if (grant !== undefined) result[kind] = grant === "all" ? "all" : [...grant].sort();
  }
  return result;
}

// ---------------------------------------------------------------- pure parts

Deno.test("parsePermissionFlags() reads listed entries, bare flags and -A, and stops at the script", () => {
  assert.deepEqual(
    parsePermissionFlags(
      "deno run --no-prompt --allow-read=.env,.hookgate --allow-net --allow-run=git main.ts " +
        "serve --allow-write",
    ),
    { read: [".env", ".hookgate"], net: "all", run: ["git"] },
  );
  assert.deepEqual(parsePermissionFlags("deno bench -A bench/").write, "all");
});

Deno.test("unionPermissions() merges listed entries and lets a bare flag win", () => {
  assert.deepEqual(
    unionPermissions([
      { read: [".env"], net: ["127.0.0.1"] },
      { read: [".env", "."], net: "all", run: ["git"] },
    ]),
    { read: [".env", "."], net: "all", run: ["git"] },
  );
});

Deno.test("narrowPermissions() revokes missing kinds, uncovered entries and dropped kinds only", async () => {
  const revoked: Deno.PermissionDescriptor[] = [];
  const result = await narrowPermissions(
    {
      read: [".env", ".hookgate"],
      write: [".hookgate"],
      env: "all",
      net: ["127.0.0.1"],
      run: ["/bin/sh"],
    },
    {
      granted: {
        read: [".env", ".hookgate", ".", ".gitignore", ".hookgate/tokens.kv"],
        write: [".hookgate", "."],
        env: "all",
        net: "all",
        run: ["/bin/sh", "git"],
      },
      drop: ["run"],
      revoke: (descriptor) => {
        revoked.push(descriptor);
        return Promise.resolve();
      },
    },
  );
  assert.deepEqual(result, [
    "read:.",
    "read:.gitignore",
    "write:.",
    "run",
    "sys",
    "ffi",
  ]);
  assert.deepEqual(revoked[0], { name: "read", path: "." });
  assert.deepEqual(revoked[3], { name: "run" });
});

// ---------------------------------------------------------------- deno.json

Deno.test("deno.json: every command has its own task running main.ts", () => {
  assert.deepEqual(commandTaskNames().sort(), [...COMMAND_TASKS].sort());
});

Deno.test("deno.json: command tasks never prompt and never use --allow-all; only bench does", () => {
  for (const name of commandTaskNames()) {
    const flags = runFlags(name);
    assert.ok(flags.includes("--no-prompt"), `task '${name}' lacks --no-prompt`);
  }
  for (const [name, line] of Object.entries(TASKS)) {
    const all = line.split(/\s+/).some((token) => token === "-A" || token === "--allow-all");
    assert.equal(all, name.startsWith("bench"), `task '${name}' uses -A`);
  }
});

Deno.test("deno.json: compile grants exactly the union of the command tasks' permissions", () => {
  const union = unionPermissions(
    commandTaskNames().map((name) => parsePermissionFlags(task(name))),
  );
  assert.deepEqual(canonical(parsePermissionFlags(task("compile"))), canonical(union));
});

Deno.test("deno.json: compile never prompts, embeds no .env, bundles the fetch worker, builds dist/hookgate", () => {
  const tokens = task("compile").split(/\s+/);
  assert.deepEqual(tokens.slice(0, 2), ["deno", "compile"]);
  assert.ok(tokens.includes("--no-prompt"));
  assert.ok(!tokens.some((token) => token.startsWith("--env-file") || token === "--env"));
  assert.ok(tokens.join(" ").includes("--include lib/egress/fetch_worker_entry.ts"));
  assert.ok(tokens.join(" ").includes("--output dist/hookgate"));
  assert.equal(tokens.at(-1), "main.ts");
});

Deno.test("deno.json: only serve (for --exec), init and doctor (git) run programs, net only where a host is reached (events: --url)", () => {
  const runs: Record<string, unknown> = {};
  const nets: string[] = [];
  for (const name of commandTaskNames()) {
    const set = parsePermissionFlags(task(name));
    if (set.run !== undefined) runs[name] = set.run;
    if (set.net !== undefined) nets.push(name);
    assert.equal(set.sys, undefined, `task '${name}' grants sys`);
    assert.equal(set.ffi, undefined, `task '${name}' grants ffi`);
  }
  // serve's is unrestricted: Deno.kill of --exec's process group needs it (a shell runs
  // anything anyway); serve drops it at start-up unless --exec is configured.
  assert.deepEqual(runs, { serve: "all", init: ["git"], doctor: ["git"] });
  assert.deepEqual(nets.sort(), ["events", "fetch", "mcp", "send", "serve"]);
  assert.notEqual(parsePermissionFlags(task("serve")).net, "all");
});

// ---------------------------------------------------------------- real flags

let projectDir: string | undefined;

/** A fresh directory beside the project, i.e. outside the directory the commands run in. */
async function outsideDir(): Promise<string> {
  return await Deno.makeTempDir({ dir: `${await project()}/..`, prefix: "outside-" });
}

/** A copy of the program with a .env, like a checkout after `deno task init`. */
async function project(): Promise<string> {
  if (projectDir) return projectDir;
  const base = await Deno.makeTempDir({ prefix: "hookgate-perm-" });
  globalThis.addEventListener("unload", () => Deno.removeSync(base, { recursive: true }));
  const dir = `${base}/project`;
  await Deno.mkdir(dir);
  const copy = await new Deno.Command("cp", {
    args: ["-R", `${ROOT}main.ts`, `${ROOT}deno.json`, `${ROOT}deno.lock`, `${ROOT}lib`, dir],
  }).output();
  assert.equal(copy.code, 0, new TextDecoder().decode(copy.stderr));
  await Deno.writeTextFile(
    `${dir}/.env`,
    `WEBHOOK_SECRET=${SECRET}\nHOOKGATE_TOKEN_SECRET=${SECRET}-token\n`,
    { mode: 0o600 },
  );
  projectDir = dir;
  return dir;
}

function quietEnv(extra: Record<string, string> = {}): Record<string, string> {
  return childEnv({ DENO_NO_UPDATE_CHECK: "1", ...extra });
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Past this, a command that should have been refused is still running: it was not refused. */
const REFUSAL_TIMEOUT_MS = 30_000;

/**
 * `deno run <the task's flags> main.ts NAME ARGS…` in the project copy: what
 * `deno task NAME` runs there, with a process the timeout can really kill.
 */
async function runTask(
  name: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Run> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...runFlags(name), "main.ts", name, ...args],
    cwd: await project(),
    clearEnv: true,
    env: quietEnv(env),
    stdin: "null",
    signal: AbortSignal.timeout(REFUSAL_TIMEOUT_MS),
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** A TCP listener that only counts connections: the thing that must NOT be reached. */
function countingListener(hostname: string) {
  const listener = Deno.listen({ hostname, port: 0 });
  let accepted = 0;
  const loop = (async () => {
    try {
      for await (const conn of listener) {
        accepted++;
        conn.close();
      }
    } catch {
      // closed
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    accepted: () => accepted,
    async close() {
      listener.close();
      await loop;
    },
  };
}

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

/**
 * `serve --exec` isolation end to end: the agent's user (--exec-user), its
 * working directory, the warning when it shares hookgate's user, and the
 * start-up refusals (77 when the user switch is impossible, 78 when the
 * program is missing). The real `serve` subprocess; root in CI.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { childEnv, cliArgv, runCli } from "../support/cli.ts";
import { type ServeProcess, startServe } from "../support/serve_process.ts";
import { agentUser } from "../support/agent_processes.ts";

const SECRET = "exec-user-canary-" + crypto.randomUUID();
const MARKER = "exec-user-canary-";
const { user, reason } = agentUser();
if (user === null) console.error(`SKIPPING the --exec-user tests: ${reason}`);

async function post(server: ServeProcess, body: string): Promise<number> {
  const ts = String(Math.floor(Date.now() / 1000));
  const mac = createHmac("sha256", SECRET).update(`${ts}.`).update(body).digest("hex");
  const response = await fetch(`${server.url}/webhook`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", "x-timestamp": ts, "x-signature": mac },
  });
  await response.body?.cancel();
  return response.status;
}

async function eventually(what: string, check: () => Promise<boolean>, limitMs = 20_000) {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** An executable shell script at `path`. */
async function writeScript(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, 0o755);
}

/**
 * A project directory as a user has it: world-traversable, `.env` 0600 holding
 * the secret, an agent script that reports what it could read into out/.
 */
async function project(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "hookgate-exec-user-" });
  await Deno.chmod(dir, 0o755);
  await Deno.writeTextFile(`${dir}/.env`, `WEBHOOK_SECRET=${SECRET}\n`, { mode: 0o600 });
  await Deno.chmod(`${dir}/.env`, 0o600);
  await Deno.mkdir(`${dir}/out`);
  await Deno.chmod(`${dir}/out`, 0o777);
  await writeScript(
    `${dir}/agent.sh`,
    `#!/bin/sh
r="$OUT/report.txt"
echo "ids=$(id -u) $(id -g) $(id -G)" > "$r"
echo "cwd=$(pwd)" >> "$r"
echo "nnp=$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' /proc/self/status)" >> "$r"
if cat "$PROJECT/.env" > /dev/null 2>&1; then echo "dotenv=read" >> "$r"; else echo "dotenv=denied" >> "$r"; fi
if cat "/proc/$(cat "$OUT/serve.pid")/environ" > /dev/null 2>&1; then echo "environ=read" >> "$r"; else echo "environ=denied" >> "$r"; fi
found=0
for f in /proc/[0-9]*/environ; do
  if tr '\\0' '\\n' < "$f" 2>/dev/null | grep -q "${MARKER}"; then found=$((found + 1)); fi
done
echo "marked=$found" >> "$r"
cat "$PROJECT/.env" "/proc/$(cat "$OUT/serve.pid")/environ" >> "$OUT/loot.txt" 2>/dev/null
exit 0
`,
  );
  return dir;
}

/** A test that needs an agent user, in a fresh project directory removed afterwards. */
function execUserTest(name: string, body: (dir: string) => Promise<void>): void {
  Deno.test({
    name,
    ignore: user === null,
    async fn() {
      const dir = await project();
      try {
        await body(dir);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

async function report(dir: string): Promise<Record<string, string>> {
  const text = await Deno.readTextFile(`${dir}/out/report.txt`);
  return Object.fromEntries(
    text.trim().split("\n").map((
      line,
    ) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

async function runAgentOnce(dir: string, extraArgs: string[]) {
  const server = await startServe({
    env: { OUT: `${dir}/out`, PROJECT: dir },
    args: ["--exec", "./agent.sh", "--exec-env", "OUT", "--exec-env", "PROJECT", ...extraArgs],
    cwd: dir,
  });
  try {
    await Deno.writeTextFile(`${dir}/out/serve.pid`, String(server.pid));
    assert.equal(await post(server, JSON.stringify({ id: crypto.randomUUID() })), 200);
    await eventually("the agent reported", async () => {
      const text = await Deno.readTextFile(`${dir}/out/report.txt`).catch(() => "");
      return text.includes("marked=");
    });
    return { report: await report(dir), stderr: server.stderr() };
  } finally {
    await server.stop();
  }
}

Deno.test({
  name:
    "serve --exec-user runs the agent as that user with no other groups, unable to read .env or serve's /proc/<pid>/environ",
  ignore: user === null,
  async fn() {
    const dir = await project();
    try {
      const { report: seen, stderr } = await runAgentOnce(dir, ["--exec-user", user!.name]);
      assert.equal(seen.ids, `${user!.uid} ${user!.gid} ${user!.gid}`);
      assert.equal(seen.nnp, "1", "a setuid program could give the agent its privileges back");
      assert.equal(seen.dotenv, "denied");
      assert.equal(seen.environ, "denied");
      assert.equal(seen.marked, "0", "some process environment with the secret was readable");
      const loot = await Deno.readTextFile(`${dir}/out/loot.txt`).catch(() => "");
      assert.equal(loot.includes(SECRET), false, "the agent read the secret");
      assert.equal(stderr.includes("can read hookgate's secrets"), false);
      // Its working directory is its own, under the data dir, and only it may enter.
      assert.equal(seen.cwd, `${dir}/.hookgate/agent`);
      const info = await Deno.stat(`${dir}/.hookgate/agent`);
      assert.equal(info.uid, user!.uid);
      assert.equal((info.mode ?? 0) & 0o777, 0o700);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("serve --exec without --exec-user says once on stderr that the agent can read hookgate's secrets, and how to stop it", async () => {
  const dir = await project();
  try {
    const { report: seen, stderr } = await runAgentOnce(dir, ["--exec-cwd", `${dir}/out`]);
    const warnings = stderr.split("\n").filter((line) =>
      line.includes("can read hookgate's secrets")
    );
    assert.equal(warnings.length, 1, stderr);
    assert.match(warnings[0] as string, /--exec-user USER/);
    assert.equal(stderr.includes(SECRET), false);
    // What the warning says is so: as hookgate's own user the agent reads .env.
    assert.equal(seen.dotenv, "read");
    // --exec-cwd is honoured, and the relative program still means serve's directory.
    assert.equal(seen.cwd, `${dir}/out`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve --exec with a program that does not exist or is not executable exits 78 at start with the reason", async () => {
  const dir = await project();
  try {
    const env = { WEBHOOK_SECRET: SECRET };
    const missing = await runCli(["serve", "--port", "0", "--exec", "./no-such-agent.sh --x"], {
      env,
      cwd: dir,
    });
    assert.equal(missing.code, 78, missing.stderr);
    assert.match(missing.stderr, new RegExp(`${dir}/no-such-agent.sh does not exist`));
    assert.equal(missing.stderr.includes("listening"), false);
    await Deno.chmod(`${dir}/agent.sh`, 0o644);
    const plain = await runCli(["serve", "--port", "0", "--exec", "./agent.sh"], { env, cwd: dir });
    assert.equal(plain.code, 78, plain.stderr);
    assert.match(plain.stderr, /agent\.sh is not executable \(chmod \+x /);
    const unknown = await runCli(["serve", "--port", "0", "--exec", "no-such-program-x7"], {
      env,
      cwd: dir,
    });
    assert.equal(unknown.code, 78, unknown.stderr);
    assert.match(unknown.stderr, /no-such-program-x7 is not found on the agent's PATH/);
    // The script beside serve, named as a command: the fix is its path.
    await Deno.chmod(`${dir}/agent.sh`, 0o755);
    const bare = await runCli(["serve", "--port", "0", "--exec", "agent.sh"], { env, cwd: dir });
    assert.equal(bare.code, 78, bare.stderr);
    assert.match(bare.stderr, /agent\.sh is not found on the agent's PATH; .*--exec \.\/agent\.sh/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "serve --exec-user exits 77 at start when serve may not switch users, and 78 for a user that does not exist",
  ignore: user === null,
  async fn() {
    const dir = await project();
    try {
      // Root without CAP_SETUID/CAP_SETGID: the switch must be refused, not skipped.
      const child = new Deno.Command("setpriv", {
        args: [
          "--bounding-set=-setuid,-setgid",
          "--",
          ...cliArgv([]),
          "serve",
          "--port",
          "0",
          "--exec",
          "./agent.sh",
          "--exec-user",
          user!.name,
        ],
        cwd: dir,
        clearEnv: true,
        env: childEnv({ WEBHOOK_SECRET: SECRET }),
        stdout: "piped",
        stderr: "piped",
      });
      const denied = await child.output();
      const stderr = new TextDecoder().decode(denied.stderr);
      assert.equal(denied.code, 77, stderr);
      assert.match(stderr, new RegExp(`cannot run the agent as ${user!.name}`));
      assert.equal(stderr.includes("listening"), false);
      const unknown = await runCli(
        ["serve", "--port", "0", "--exec", "./agent.sh", "--exec-user", "no-such-user-x7"],
        { env: { WEBHOOK_SECRET: SECRET }, cwd: dir },
      );
      assert.equal(unknown.code, 78, unknown.stderr);
      assert.match(unknown.stderr, /--exec-user no-such-user-x7: no such user/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

execUserTest(
  "serve --exec-user: an agent that plants setsid, setpriv and unshare in its directory never gets them run, even with . in serve's PATH",
  async (dir) => {
    await writeScript(
      `${dir}/plant.sh`,
      `#!/bin/sh
for tool in setsid setpriv unshare; do
  printf '#!/bin/sh\\nid -u >> "%s/planted.txt"\\n' "$OUT" > "./$tool" && chmod 755 "./$tool"
done
echo ran >> "$OUT/runs.txt"
`,
    );
    const server = await startServe({
      env: { OUT: `${dir}/out`, PATH: `.:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` },
      args: ["--exec", "./plant.sh", "--exec-env", "OUT", "--exec-user", user!.name],
      cwd: dir,
    });
    try {
      for (let i = 0; i < 2; i++) {
        assert.equal(await post(server, JSON.stringify({ id: crypto.randomUUID() })), 200);
        await eventually(`the agent ran ${i + 1} time(s)`, async () => {
          const runs = await Deno.readTextFile(`${dir}/out/runs.txt`).catch(() => "");
          return runs.split("\n").filter((line) => line === "ran").length > i;
        });
      }
      assert.match(server.stderr(), /PATH leaves out the entries that are not absolute/);
    } finally {
      await server.stop();
    }
    const planted = await Deno.readTextFile(`${dir}/out/planted.txt`).catch(() => null);
    assert.equal(planted, null, `a planted launch tool ran: uid ${planted}`);
  },
);

execUserTest(
  "serve --exec-user: a descriptor serve inherited on .env does not reach the agent, which cannot read the secret through it",
  async (dir) => {
    await writeScript(
      `${dir}/fdagent.sh`,
      `#!/bin/sh
for fd in 3 4 5 6 7 8 9; do cat <&$fd >> "$OUT/fdloot.txt" 2>/dev/null; done
echo done >> "$OUT/fdloot.txt"
`,
    );
    const server = await startServe({
      env: { OUT: `${dir}/out` },
      args: ["--exec", "./fdagent.sh", "--exec-env", "OUT", "--exec-user", user!.name],
      cwd: dir,
      // A wrapper that holds .env open on descriptor 7 while it starts serve.
      command: (args) =>
        new Deno.Command("/bin/sh", {
          args: ["-c", 'exec 7< .env; exec "$0" "$@"', ...cliArgv(args)],
          cwd: dir,
          clearEnv: true,
          env: childEnv({ OUT: `${dir}/out` }),
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }),
    });
    try {
      assert.equal(await post(server, JSON.stringify({ id: crypto.randomUUID() })), 200);
      await eventually("the agent ran", async () => {
        const text = await Deno.readTextFile(`${dir}/out/fdloot.txt`).catch(() => "");
        return text.includes("done");
      });
    } finally {
      await server.stop();
    }
    const loot = await Deno.readTextFile(`${dir}/out/fdloot.txt`);
    assert.equal(
      loot.includes(SECRET),
      false,
      "the agent read .env through an inherited descriptor",
    );
  },
);

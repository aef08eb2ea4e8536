import assert from "node:assert/strict";
import {
  checkExecPermissions,
  type ExecHandlerOptions,
  type ExecReport,
  execRetryDelayMs,
  planExecEnv,
  runExec,
} from "../../lib/handoff/mod.ts";
import { watchHandoffs } from "../../lib/cli/handoff_watch.ts";
import type { HandoffReport } from "../../lib/cli/serve_log.ts";
import { survivors } from "../support/agent_processes.ts";
import {
  agentDir,
  execHandler,
  PATH,
  storedEvent as event,
  withinSeconds,
} from "../support/exec_handoff.ts";
import { tempDir } from "../support/temp_dir.ts";

const CANARY = "canary-webhook-secret-" + crypto.randomUUID();
const TOKEN_CANARY = "canary-token-secret-" + crypto.randomUUID();

/** An exec handler that knows both canaries as secrets. */
function handler(command: string, options: Partial<ExecHandlerOptions> = {}) {
  return execHandler(command, { timeoutMs: 10_000, secrets: [CANARY, TOKEN_CANARY], ...options });
}

/** Gone within a bounded wait (no such process, or a zombie). */
async function processGone(pid: number): Promise<boolean> {
  return (await survivors([pid], 2_000)).length === 0;
}

function parseEnvDump(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) vars.set(line.slice(0, at), line.slice(at + 1));
  }
  return vars;
}

Deno.test("createExecHandler() hands a payload over 64 KiB to the command on stdin byte for byte", async () => {
  await using temp = await tempDir();
  const dir = temp.path;
  const payload = new Uint8Array(200 * 1024);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 8)) % 256;
  const outcome = await handler(`cat > '${dir}/payload.bin'`)(event({ payload }));
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(await Deno.readFile(`${dir}/payload.bin`), payload);
});

Deno.test("createExecHandler() never puts the payload on the command line", async () => {
  await using temp = await tempDir();
  const dir = temp.path;
  const payload = new TextEncoder().encode(`$(touch '${dir}/pwned')\`touch '${dir}/pwned2'\``);
  const outcome = await handler(`cat > /dev/null; echo "$HOOKGATE_EVENT_ID" > /dev/null`)(
    event({ payload, id: `$(touch '${dir}/pwned3')` }),
  );
  assert.deepEqual(outcome, { ok: true });
  for (const name of ["pwned", "pwned2", "pwned3"]) {
    await assert.rejects(Deno.stat(`${dir}/${name}`), Deno.errors.NotFound);
  }
});

Deno.test("createExecHandler() gives the command no secret, only the base, allowlisted and HOOKGATE_* variables", async () => {
  await using temp = await tempDir();
  const dir = temp.path;
  // In hookgate's own process environment too: clearEnv must keep it out.
  Deno.env.set("HOOKGATE_TEST_INHERITED", CANARY);
  const warnings: string[] = [];
  try {
    const outcome = await handler(`env > '${dir}/env.txt'`, {
      env: {
        PATH: PATH,
        HOME: "/tmp",
        LANG: "C.UTF-8",
        WEBHOOK_SECRET: CANARY,
        HOOKGATE_TOKEN_SECRET: TOKEN_CANARY,
        AGENT_MODE: "triage",
        DATABASE_URL: `postgres://agent:${TOKEN_CANARY}@db/x`,
        UNLISTED: "not-allowlisted",
      },
      envAllowlist: ["AGENT_MODE", "WEBHOOK_SECRET", "DATABASE_URL", "HOOKGATE_ATTEMPT"],
      warn: (line) => warnings.push(line),
    })(event({ attempt: 3 }));
    assert.deepEqual(outcome, { ok: true });
  } finally {
    Deno.env.delete("HOOKGATE_TEST_INHERITED");
  }
  const dump = await Deno.readTextFile(`${dir}/env.txt`);
  assert.equal(dump.includes(CANARY), false, "the webhook secret reached the command");
  assert.equal(dump.includes(TOKEN_CANARY), false, "the token secret reached the command");
  const vars = parseEnvDump(dump);
  // `sh` itself adds PWD (and SHLVL in some shells); nothing else may appear.
  const names = [...vars.keys()].filter((name) => !["PWD", "SHLVL", "_", "OLDPWD"].includes(name));
  assert.deepEqual(names.sort(), [
    "AGENT_MODE",
    "HOME",
    "HOOKGATE_ATTEMPT",
    "HOOKGATE_EVENT_ID",
    "HOOKGATE_EVENT_KEY",
    "HOOKGATE_EVENT_ROUTE",
    "HOOKGATE_RECEIVED_AT",
    "LANG",
    "PATH",
  ]);
  assert.equal(vars.get("HOOKGATE_EVENT_ID"), "evt-1");
  assert.equal(vars.get("HOOKGATE_EVENT_KEY"), "id:evt-1");
  assert.equal(vars.get("HOOKGATE_EVENT_ROUTE"), "webhook");
  assert.equal(vars.get("HOOKGATE_ATTEMPT"), "3");
  assert.equal(vars.get("HOOKGATE_RECEIVED_AT"), "2026-11-30T12:00:00.000Z");
  assert.equal(warnings.length, 3);
  assert.match(
    warnings.join("\n"),
    /not passing --exec-env WEBHOOK_SECRET to the command: .*secret/,
  );
  assert.match(warnings.join("\n"), /--exec-env DATABASE_URL to the command: .*secret/);
  assert.match(
    warnings.join("\n"),
    /--exec-env HOOKGATE_ATTEMPT to the command: .*set by hookgate/,
  );
  assert.equal(warnings.join("\n").includes(CANARY), false);
  assert.equal(warnings.join("\n").includes(TOKEN_CANARY), false);
});

Deno.test("planExecEnv() refuses an invalid name and reports an allowlisted variable that is not set", () => {
  const plan = planExecEnv({ PATH: "/bin" }, { allowlist: ["BAD-NAME", "MISSING"], secrets: [] });
  assert.deepEqual(plan.env, { PATH: "/bin" });
  assert.deepEqual(plan.refused.map((r) => r.name), ["BAD-NAME", "MISSING"]);
});

Deno.test("planExecEnv() leaves relative PATH entries out: the agent's directory is never searched for the launch tools", () => {
  const plan = planExecEnv({ PATH: ".:/usr/local/bin::bin:/usr/bin:./tools" }, {
    allowlist: [],
    secrets: [],
  });
  assert.equal(plan.env.PATH, "/usr/local/bin:/usr/bin");
  assert.deepEqual(plan.refused, []);
  assert.match(plan.notes.join("\n"), /PATH leaves out the entries that are not absolute/);
  assert.deepEqual(planExecEnv({ PATH: "/usr/bin:/bin" }, { allowlist: [], secrets: [] }), {
    env: { PATH: "/usr/bin:/bin" },
    refused: [],
    notes: [],
  });
});

Deno.test("planExecEnv() passes the agent's own PEM key although hookgate knows another one", () => {
  const pem = (body: string) => `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----`;
  const hookgateKey = pem("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7");
  const agentKey = pem("MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDx");
  const plan = planExecEnv({ PATH: "/bin", AGENT_KEY: agentKey, SAME_KEY: hookgateKey }, {
    allowlist: ["AGENT_KEY", "SAME_KEY"],
    secrets: [hookgateKey],
  });
  assert.equal(plan.env.AGENT_KEY, agentKey);
  assert.deepEqual(plan.refused.map((r) => r.name), ["SAME_KEY"]);
});

Deno.test("planExecEnv() refuses a variable holding a secret in an encoded form (Basic auth, hex)", () => {
  const secret = "pQ7vX2mK9sL4wE8rT1yU6iO3";
  const basic = `Basic ${btoa(`hook:${secret}`)}`;
  const hex = Array.from(new TextEncoder().encode(secret), (b) => b.toString(16).padStart(2, "0"))
    .join("");
  const plan = planExecEnv(
    { PATH: "/bin", UPSTREAM_AUTH: basic, SIG_KEY: hex, HARMLESS: "hello" },
    { allowlist: ["UPSTREAM_AUTH", "SIG_KEY", "HARMLESS"], secrets: [secret] },
  );
  assert.deepEqual(plan.env, { PATH: "/bin", HARMLESS: "hello" });
  assert.deepEqual(plan.refused.map((r) => r.name), ["UPSTREAM_AUTH", "SIG_KEY"]);
});

Deno.test("createExecHandler() reports a non-zero exit as a failed attempt", async () => {
  const outcome = await handler("cat > /dev/null; exit 3")(event());
  assert.deepEqual(outcome, { ok: false, error: "exit code 3" });
});

Deno.test("createExecHandler() kills the whole process group of a hanging command at the timeout", async () => {
  await using temp = await agentDir();
  const dir = temp.path;
  const reports: ExecReport[] = [];
  // The grandchild ignores SIGTERM, so only the group-wide SIGKILL can end it.
  const command = `(trap '' TERM; exec sleep 300) & echo $! > '${dir}/grandchild.pid'; wait`;
  const outcome = await withinSeconds(
    30,
    handler(command, { timeoutMs: 500, onOutput: (report) => reports.push(report) })(event()),
  );
  assert.equal(outcome.ok, false);
  assert.match(outcome.ok ? "" : outcome.error, /timed out after 500 ms/);
  assert.equal(reports[0]?.timedOut, true);
  const grandchild = Number(await Deno.readTextFile(`${dir}/grandchild.pid`));
  assert.ok(grandchild > 1);
  assert.equal(await processGone(grandchild), true, `grandchild ${grandchild} still runs`);
});

Deno.test("createExecHandler() does not wait for a background job a successful command left behind", async () => {
  await using temp = await agentDir();
  const dir = temp.path;
  const outcome = await withinSeconds(
    30,
    handler(`sleep 300 & echo $! > '${dir}/bg.pid'; exit 0`, { timeoutMs: 60_000 })(event()),
  );
  assert.deepEqual(outcome, { ok: true });
  const background = Number(await Deno.readTextFile(`${dir}/bg.pid`));
  assert.equal(await processGone(background), true, `background job ${background} still runs`);
});

Deno.test("createExecHandler() returns even when a descendant escapes the process group holding the pipes", async () => {
  await using temp = await agentDir();
  const dir = temp.path;
  // setsid puts the sleep in a session of its own, out of reach of the group kill, with
  // stdin (saved as fd 3 first: sh gives a background job /dev/null), stdout and stderr
  // still open: waiting for EOF, or for the payload write to finish, would hang for 30 s.
  const command = `exec 3<&0; setsid sh -c 'echo $$ > "${dir}/escaped.pid"; exec sleep 30' <&3 & ` +
    `while [ ! -s '${dir}/escaped.pid' ]; do sleep 0.01; done; exit 0`;
  const outcome = await withinSeconds(
    15,
    handler(command, { timeoutMs: 60_000 })(event({ payload: new Uint8Array(256 * 1024) })),
  );
  assert.deepEqual(outcome, { ok: true });
});

Deno.test("runExec() keeps at most maxOutputBytes of each stream and says it truncated", async () => {
  const result = await runExec("head -c 100000 /dev/zero | tr '\\000' a; echo oops >&2", {
    stdin: new Uint8Array(),
    env: { PATH: PATH },
    timeoutMs: 10_000,
    maxOutputBytes: 1024,
  });
  assert.equal(result.exitCode, 0);
  assert.equal(result.stdout.bytes.length, 1024);
  assert.equal(result.stdout.totalBytes, 100_000);
  assert.equal(result.stdout.truncated, true);
  assert.equal(new TextDecoder().decode(result.stderr.bytes), "oops\n");
  assert.equal(result.stderr.truncated, false);
});

Deno.test("createExecHandler() reports the command's output and attempt for the trace", async () => {
  const reports: ExecReport[] = [];
  await handler("cat; echo done >&2", { onOutput: (report) => reports.push(report) })(
    event({ attempt: 2 }),
  );
  assert.equal(reports.length, 1);
  assert.equal(reports[0]?.stdout, '{"id":"evt-1"}');
  assert.equal(reports[0]?.stderr, "done\n");
  assert.equal(reports[0]?.attempt, 2);
  assert.equal(reports[0]?.ok, true);
});

Deno.test("execRetryDelayMs() grows with each attempt, jitters, and is capped", () => {
  const low = (attempt: number) => execRetryDelayMs(attempt, { random: () => 0 });
  const high = (attempt: number) => execRetryDelayMs(attempt, { random: () => 0.999999 });
  assert.equal(low(1), 500);
  assert.equal(high(1), 1000);
  for (let attempt = 1; attempt < 9; attempt++) {
    assert.ok(low(attempt + 1) >= high(attempt), `delay ${attempt + 1} shorter than ${attempt}`);
  }
  assert.equal(high(40), 300_000);
  assert.equal(low(40), 150_000);
});

Deno.test("checkExecPermissions() refuses a run permission scoped to /bin/sh (it cannot kill a process group)", async () => {
  const script = `import { checkExecPermissions } from "${
    new URL("../../lib/handoff/mod.ts", import.meta.url).href
  }"; console.log(JSON.stringify(checkExecPermissions()));`;
  await using temp = await tempDir();
  const file = `${temp.path}/check.ts`;
  await Deno.writeTextFile(file, script);
  const scoped = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-run=/bin/sh", "--allow-read", "--no-prompt", file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const result = JSON.parse(new TextDecoder().decode(scoped.stdout));
  assert.equal(result.ok, false);
  assert.match(result.reason, /unrestricted run permission \(--allow-run/);
  assert.deepEqual(checkExecPermissions(), { ok: true, value: undefined });
});

Deno.test("createExecHandler() keeps the end of a long stderr: what a failing agent printed last reaches the trace and the log", async () => {
  const reports: ExecReport[] = [];
  const watch = watchHandoffs((e, context) => act(e, context), {
    maxAttempts: 1,
    retryDelayMs: () => 1_000,
    report: (report) => handoffs.push(report),
    now: Date.now,
  });
  const handoffs: HandoffReport[] = [];
  // 400 lines of chatter (about 24 KiB, past the 16 KiB kept from the start), then the cause.
  const act = handler(
    `cat > /dev/null; i=0; while [ $i -lt 400 ]; do ` +
      `echo "INFO step $i: routine work, all fine so far" >&2; i=$((i+1)); done; ` +
      `echo "Traceback: KeyError 'repository' in handle_push" >&2; exit 1`,
    {
      onOutput: (report) => {
        reports.push(report);
        watch.noteExec(report);
      },
    },
  );
  const outcome = await watch.handler(event());
  assert.equal(outcome.ok, false);
  assert.equal(reports[0]?.stderrTruncated, true);
  assert.match(reports[0]?.stderrEnd ?? "", /KeyError 'repository' in handle_push\n$/);
  assert.ok((reports[0]?.stderrEnd.length ?? 0) <= 4096, "the end kept is bounded");
  assert.equal(handoffs[0]?.stderrTail.at(-1), "Traceback: KeyError 'repository' in handle_push");
});

Deno.test("createExecHandler() keeps no end of a stderr that fit: the whole of it is in stderr", async () => {
  const reports: ExecReport[] = [];
  await handler("echo oops >&2; exit 1", { onOutput: (report) => reports.push(report) })(
    event(),
  );
  assert.equal(reports[0]?.stderr, "oops\n");
  assert.equal(reports[0]?.stderrEnd, "");
});

import assert from "node:assert/strict";
import { doctorCommand } from "../../lib/cli/doctor.ts";
import { type DoctorFacts, formatCheck, loadEnv, runDoctorChecks } from "../../lib/setup/mod.ts";
import { createMemoryOutput } from "../../lib/cli/mod.ts";
import { createRedactor, secretValuesFromEnv } from "../../lib/redact/mod.ts";
import { runCli } from "../support/cli.ts";
import {
  git,
  makeTempDir,
  makeTempRepo,
  removeDir,
  writeFileWithMode,
} from "../support/temp_repo.ts";

const STRONG = "Zm9yLXRlc3RzLW9ubHktbm90LWEtcmVhbC1zZWNyZXQ";
const HEALTHY_ENV =
  `WEBHOOK_SECRET=${STRONG}\nEGRESS_ALLOW_HOSTS=api.github.com,api.weather.gov\n` +
  "HOOKGATE_EXEC_USER=hookgate-agent\n";

interface DoctorRun {
  code: number;
  stdout: string;
  lines: string[];
}

/** Runs doctor in-process, with the environment main would give it. */
async function doctor(cwd: string, realEnv: Record<string, string> = {}): Promise<DoctorRun> {
  const env = loadEnv({ cwd, realEnv });
  const output = createMemoryOutput(createRedactor({ secrets: secretValuesFromEnv(env) }));
  const code = await doctorCommand.run({ args: [], env, cwd, output });
  const stdout = output.stdout();
  return { code, stdout, lines: stdout.trimEnd().split("\n") };
}

/** A repository that passes every check: the state `init` leaves behind, committed. */
async function healthyRepo(): Promise<string> {
  const dir = await makeTempRepo();
  await Deno.writeTextFile(`${dir}/.gitignore`, ".env\n.hookgate/\n");
  await git(dir, "add", ".gitignore");
  await git(dir, "commit", "--quiet", "-m", "ignore secrets");
  await writeFileWithMode(`${dir}/.env`, HEALTHY_ENV, 0o600);
  return dir;
}

function withStatus(run: DoctorRun, status: string): string[] {
  return run.lines.filter((line) => line.startsWith(`${status} `));
}

/** Exactly one FAIL line, about `what`, carrying its fix; exit 78. */
function assertOnlyFailure(run: DoctorRun, what: RegExp, fix: RegExp): void {
  const failures = withStatus(run, "FAIL");
  assert.equal(failures.length, 1, run.stdout);
  assert.match(failures[0] ?? "", what);
  assert.match(failures[0] ?? "", fix);
  assert.equal(run.code, 78);
}

Deno.test("doctor passes a healthy repository with exit 0", async () => {
  const dir = await healthyRepo();
  try {
    const run = await doctor(dir);
    assert.equal(run.code, 0, run.stdout);
    assert.deepEqual(withStatus(run, "FAIL"), []);
    assert.deepEqual(withStatus(run, "warn"), []);
    assert.equal(withStatus(run, "ok").length, 9, run.stdout);
    assert.match(run.stdout, /all checks passed/);
  } finally {
    await removeDir(dir);
  }
});

Deno.test("doctor fails a missing .env", async () => {
  const dir = await healthyRepo();
  try {
    await Deno.remove(`${dir}/.env`);
    const run = await doctor(dir, { EGRESS_ALLOW_HOSTS: "api.github.com" });
    assertOnlyFailure(run, /\.env does not exist/, /hookgate init/);
  } finally {
    await removeDir(dir);
  }
});

Deno.test("doctor fails a .env without WEBHOOK_SECRET", async () => {
  const dir = await healthyRepo();
  try {
    await writeFileWithMode(`${dir}/.env`, "EGRESS_ALLOW_HOSTS=api.github.com\n", 0o600);
    assertOnlyFailure(await doctor(dir), /does not define WEBHOOK_SECRET/, /hookgate init/);
  } finally {
    await removeDir(dir);
  }
});

Deno.test("doctor fails an empty WEBHOOK_SECRET", async () => {
  const dir = await healthyRepo();
  try {
    await writeFileWithMode(
      `${dir}/.env`,
      "WEBHOOK_SECRET=\nEGRESS_ALLOW_HOSTS=a.example\n",
      0o600,
    );
    assertOnlyFailure(await doctor(dir), /does not define WEBHOOK_SECRET/, /hookgate init/);
  } finally {
    await removeDir(dir);
  }
});

Deno.test("doctor fails a .gitignore without the exact line .env", async () => {
  const dir = await healthyRepo();
  try {
    await Deno.writeTextFile(`${dir}/.gitignore`, ".env \n/.env.local\n.hookgate/\n");
    assertOnlyFailure(await doctor(dir), /\.gitignore lacks the exact line \.env/, /\.gitignore/);
  } finally {
    await removeDir(dir);
  }
});

Deno.test("doctor fails a tracked .env", async () => {
  const dir = await healthyRepo();
  try {
    await git(dir, "add", "--force", ".env");
    assertOnlyFailure(await doctor(dir), /\.env is tracked by git/, /git rm --cached \.env/);
  } finally {
    await removeDir(dir);
  }
});

Deno.test("doctor fails a .env that is in git history though no longer tracked", async () => {
  const dir = await healthyRepo();
  try {
    await git(dir, "add", "--force", ".env");
    await git(dir, "commit", "--quiet", "-m", "oops");
    await git(dir, "rm", "--cached", "--quiet", ".env");
    await git(dir, "commit", "--quiet", "-m", "untrack .env");
    assertOnlyFailure(await doctor(dir), /\.env appears in git history/, /rotate WEBHOOK_SECRET/);
  } finally {
    await removeDir(dir);
  }
});

Deno.test("doctor finds .env in the history of another branch", async () => {
  const dir = await healthyRepo();
  try {
    await git(dir, "checkout", "--quiet", "-b", "leak");
    await git(dir, "add", "--force", ".env");
    await git(dir, "commit", "--quiet", "-m", "oops");
    // Leaving the branch removes the file it tracked; put the working copy back.
    await git(dir, "checkout", "--quiet", "-");
    await writeFileWithMode(`${dir}/.env`, HEALTHY_ENV, 0o600);
    assertOnlyFailure(await doctor(dir), /\.env appears in git history/, /rotate/);
  } finally {
    await removeDir(dir);
  }
});

Deno.test("doctor fails a .env readable by other users", async () => {
  const dir = await healthyRepo();
  try {
    await Deno.chmod(`${dir}/.env`, 0o644);
    assertOnlyFailure(
      await doctor(dir),
      /readable or writable by other users \(mode 0644\)/,
      /chmod 600 \.env/,
    );
  } finally {
    await removeDir(dir);
  }
});

Deno.test("doctor fails a .env readable by its group", async () => {
  const dir = await healthyRepo();
  try {
    await Deno.chmod(`${dir}/.env`, 0o640);
    assertOnlyFailure(await doctor(dir), /mode 0640/, /chmod 600 \.env/);
  } finally {
    await removeDir(dir);
  }
});

Deno.test("doctor fails a secret shorter than 16 bytes without printing it", async () => {
  const dir = await healthyRepo();
  try {
    const short = "tiny-secret-15b";
    await writeFileWithMode(
      `${dir}/.env`,
      `WEBHOOK_SECRET=${short}\nEGRESS_ALLOW_HOSTS=a.b\n`,
      0o600,
    );
    const run = await doctor(dir);
    assertOnlyFailure(run, /WEBHOOK_SECRET is shorter than 16 bytes/, /hookgate init/);
    assert.ok(!run.stdout.includes(short));
    assert.ok(!run.stdout.includes("redacted"));
  } finally {
    await removeDir(dir);
  }
});

Deno.test("doctor only warns about an unset EGRESS_ALLOW_HOSTS (receiving only is valid), exit 0", async () => {
  const dir = await healthyRepo();
  try {
    await writeFileWithMode(
      `${dir}/.env`,
      `WEBHOOK_SECRET=${STRONG}\nEGRESS_ALLOW_HOSTS=\nHOOKGATE_EXEC_USER=hookgate-agent\n`,
      0o600,
    );
    const run = await doctor(dir);
    assert.deepEqual(withStatus(run, "FAIL"), [], run.stdout);
    const warnings = withStatus(run, "warn");
    assert.equal(warnings.length, 1, run.stdout);
    assert.match(warnings[0] ?? "", /EGRESS_ALLOW_HOSTS is not set.*add EGRESS_ALLOW_HOSTS=/s);
    assert.equal(run.code, 0);
  } finally {
    await removeDir(dir);
  }
});

Deno.test("doctor only warns about the published example secret, exit 0", async () => {
  const dir = await healthyRepo();
  try {
    const env = "WEBHOOK_SECRET=dev-shared-secret-change-me\nEGRESS_ALLOW_HOSTS=a.example\n" +
      "HOOKGATE_EXEC_USER=hookgate-agent\n";
    await writeFileWithMode(`${dir}/.env`, env, 0o600);
    const run = await doctor(dir);
    assert.equal(run.code, 0, run.stdout);
    assert.deepEqual(withStatus(run, "FAIL"), []);
    const warnings = withStatus(run, "warn");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? "", /published example value/);
    assert.ok(!run.stdout.includes("dev-shared-secret-change-me"));
  } finally {
    await removeDir(dir);
  }
});

Deno.test("doctor warns about a secret under 32 bytes, exit 0", async () => {
  const dir = await healthyRepo();
  try {
    await writeFileWithMode(
      `${dir}/.env`,
      "WEBHOOK_SECRET=twenty-byte-secret-x\nEGRESS_ALLOW_HOSTS=a.b\n",
      0o600,
    );
    const run = await doctor(dir);
    assert.equal(run.code, 0);
    assert.match(withStatus(run, "warn")[0] ?? "", /20 bytes; 32 or more recommended/);
  } finally {
    await removeDir(dir);
  }
});

Deno.test("doctor skips the git checks outside a repository, with a note", async () => {
  const dir = await makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/.gitignore`, ".env\n");
    await writeFileWithMode(`${dir}/.env`, HEALTHY_ENV, 0o600);
    const run = await doctor(dir);
    assert.equal(run.code, 0, run.stdout);
    assert.deepEqual(withStatus(run, "skip"), ["skip  git checks skipped: not a git repository"]);
    assert.ok(!run.stdout.includes("tracked by git"));
  } finally {
    await removeDir(dir);
  }
});

Deno.test("doctor reports several failures together, one line each", async () => {
  const dir = await healthyRepo();
  try {
    await Deno.chmod(`${dir}/.env`, 0o644);
    await git(dir, "add", "--force", ".env");
    const run = await doctor(dir);
    assert.equal(run.code, 78);
    assert.equal(withStatus(run, "FAIL").length, 2);
    assert.match(run.lines.at(-1) ?? "", /2 failed/);
  } finally {
    await removeDir(dir);
  }
});

Deno.test("doctor runs as a subprocess after init and passes", async () => {
  const dir = await makeTempRepo();
  try {
    const permissions = ["--allow-read", "--allow-write", "--allow-env", "--allow-run=git"];
    assert.equal((await runCli(["init"], { cwd: dir, permissions })).code, 0);
    const run = await runCli(["doctor"], { cwd: dir, permissions });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    // init gives agents no user of their own: that is the one warning.
    const lines = run.stdout.split("\n");
    assert.deepEqual(lines.filter((line) => line.startsWith("FAIL ")), []);
    const warnings = lines.filter((line) => line.startsWith("warn "));
    assert.equal(warnings.length, 1, run.stdout);
    assert.match(warnings[0] ?? "", /run as the same user as hookgate/);
  } finally {
    await removeDir(dir);
  }
});

// The pure checks, over facts.

function facts(overrides: Partial<DoctorFacts> = {}): DoctorFacts {
  return {
    envFile: { kind: "present", text: HEALTHY_ENV, mode: 0o100600 },
    gitignore: ".env\n",
    git: { kind: "repo", tracked: false, inHistory: false },
    env: { WEBHOOK_SECRET: STRONG, EGRESS_ALLOW_HOSTS: "api.github.com" },
    ...overrides,
  };
}

function statusOf(input: DoctorFacts, id: string): string | undefined {
  return runDoctorChecks(input).find((check) => check.id === id)?.status;
}

Deno.test("runDoctorChecks() accepts a secret that comes only from the real environment", () => {
  const input = facts({ envFile: { kind: "missing" } });
  assert.equal(statusOf(input, "env-exists"), "ok");
  assert.equal(statusOf(input, "secret-defined"), "ok");
  assert.equal(statusOf(input, "secret-strength"), "ok");
});

Deno.test("runDoctorChecks() judges the secret the program will use: the real environment's", () => {
  const input = facts({ env: { WEBHOOK_SECRET: "short", EGRESS_ALLOW_HOSTS: "a.b" } });
  assert.equal(statusOf(input, "secret-strength"), "FAIL");
});

Deno.test("runDoctorChecks() only warns about a missing .gitignore line outside a repository", () => {
  assert.equal(
    statusOf(facts({ gitignore: null, git: { kind: "not-repo" } }), "gitignore"),
    "warn",
  );
  assert.equal(statusOf(facts({ gitignore: null }), "gitignore"), "FAIL");
});

Deno.test("runDoctorChecks() warns, not passes, when git cannot answer", () => {
  const input = facts({ git: { kind: "unavailable", reason: "git failed: dubious ownership" } });
  const checks = runDoctorChecks(input);
  assert.equal(checks.find((check) => check.id === "git")?.status, "warn");
  assert.equal(checks.find((check) => check.id === "env-untracked"), undefined);
});

Deno.test("runDoctorChecks() fails an unreadable .env", () => {
  const input = facts({ envFile: { kind: "unreadable", reason: "it is not a regular file" } });
  assert.equal(statusOf(input, "env-exists"), "FAIL");
});

Deno.test("runDoctorChecks() counts a blank-only allowlist as unset", () => {
  const input = facts({ env: { WEBHOOK_SECRET: STRONG, EGRESS_ALLOW_HOSTS: " , ," } });
  assert.equal(statusOf(input, "egress"), "warn");
});

Deno.test("formatCheck() puts the status first and the fix after the finding", () => {
  const line = formatCheck({ id: "env-mode", status: "FAIL", message: "m", fix: "chmod 600 .env" });
  assert.equal(line, "FAIL  m — fix: chmod 600 .env");
  assert.equal(formatCheck({ id: "env-mode", status: "ok", message: "m" }), "ok    m");
});

Deno.test("runDoctorChecks() fails an allowlist that fetch would refuse, naming the entry", () => {
  const input = facts({
    env: { WEBHOOK_SECRET: STRONG, EGRESS_ALLOW_HOSTS: "api.github.com,ftp://x" },
  });
  const check = runDoctorChecks(input).find((c) => c.id === "egress");
  assert.equal(check?.status, "FAIL");
  assert.match(check?.message ?? "", /EGRESS_ALLOW_HOSTS entry 'ftp:\/\/x' is invalid/);
});

Deno.test("runDoctorChecks() warns that --exec agents can read hookgate's secrets unless they have a user of their own", () => {
  const shared = runDoctorChecks(facts({ env: { WEBHOOK_SECRET: STRONG } }))
    .find((c) => c.id === "agent-user");
  assert.equal(shared?.status, "warn");
  assert.match(shared?.message ?? "", /can read hookgate's secrets/);
  assert.match(shared?.fix ?? "", /--exec-user USER/);
  const own = runDoctorChecks(
    facts({ env: { WEBHOOK_SECRET: STRONG, HOOKGATE_EXEC_USER: "agent" } }),
  )
    .find((c) => c.id === "agent-user");
  assert.equal(own?.status, "ok");
});

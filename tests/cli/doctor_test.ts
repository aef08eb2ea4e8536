import assert from "node:assert/strict";
import { doctorCommand } from "../../lib/cli/doctor.ts";
import { type DoctorFacts, formatCheck, loadEnv, runDoctorChecks } from "../../lib/setup/mod.ts";
import { createMemoryOutput } from "../../lib/cli/mod.ts";
import { createRedactor, secretValuesFromEnv } from "../../lib/redact/mod.ts";
import { runCli } from "../support/cli.ts";
import { git, tempRepo, writeFileWithMode } from "../support/temp_repo.ts";
import { type TempDir, tempDir } from "../support/temp_dir.ts";

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

/** A repository that passes every check: the state `init` leaves behind, committed; removed by itself. */
async function healthyRepo(): Promise<TempDir> {
  const repo = await tempRepo();
  try {
    await Deno.writeTextFile(`${repo.path}/.gitignore`, ".env\n.hookgate/\n");
    await git(repo.path, "add", ".gitignore");
    await git(repo.path, "commit", "--quiet", "-m", "ignore secrets");
    await writeFileWithMode(`${repo.path}/.env`, HEALTHY_ENV, 0o600);
  } catch (error) {
    await repo[Symbol.asyncDispose]();
    throw error;
  }
  return repo;
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
  await using repo = await healthyRepo();
  const run = await doctor(repo.path);
  assert.equal(run.code, 0, run.stdout);
  assert.deepEqual(withStatus(run, "FAIL"), []);
  assert.deepEqual(withStatus(run, "warn"), []);
  assert.equal(withStatus(run, "ok").length, 10, run.stdout);
  assert.match(run.stdout, /all checks passed/);
});

/** One fault in an otherwise healthy repository, and the one FAIL line doctor must give for it. */
interface Fault {
  name: string;
  /** Breaks the healthy repository in `dir`. */
  make: (dir: string) => Promise<void>;
  /** The variables of the real environment doctor sees. */
  realEnv?: Record<string, string>;
  what: RegExp;
  fix: RegExp;
  /** Text doctor's output must not contain. */
  absent?: string[];
}

const SHORT_SECRET = "tiny-secret-15b";

const FAULTS: Fault[] = [
  {
    name: "doctor fails a missing .env",
    make: (dir) => Deno.remove(`${dir}/.env`),
    realEnv: { EGRESS_ALLOW_HOSTS: "api.github.com" },
    what: /\.env does not exist/,
    fix: /hookgate init/,
  },
  {
    name: "doctor fails a .env without WEBHOOK_SECRET",
    make: (dir) => writeFileWithMode(`${dir}/.env`, "EGRESS_ALLOW_HOSTS=api.github.com\n", 0o600),
    what: /does not define WEBHOOK_SECRET/,
    fix: /hookgate init/,
  },
  {
    name: "doctor fails an empty WEBHOOK_SECRET",
    make: (dir) =>
      writeFileWithMode(`${dir}/.env`, "WEBHOOK_SECRET=\nEGRESS_ALLOW_HOSTS=a.example\n", 0o600),
    what: /does not define WEBHOOK_SECRET/,
    fix: /hookgate init/,
  },
  {
    name: "doctor fails a .gitignore without the exact line .env",
    make: (dir) => Deno.writeTextFile(`${dir}/.gitignore`, ".env \n/.env.local\n.hookgate/\n"),
    what: /\.gitignore lacks the exact line \.env/,
    fix: /\.gitignore/,
  },
  {
    name: "doctor fails a tracked .env",
    make: async (dir) => {
      await git(dir, "add", "--force", ".env");
    },
    what: /\.env is tracked by git/,
    fix: /git rm --cached \.env/,
  },
  {
    name: "doctor fails a .env that is in git history though no longer tracked",
    make: async (dir) => {
      await git(dir, "add", "--force", ".env");
      await git(dir, "commit", "--quiet", "-m", "oops");
      await git(dir, "rm", "--cached", "--quiet", ".env");
      await git(dir, "commit", "--quiet", "-m", "untrack .env");
    },
    what: /\.env appears in git history/,
    fix: /rotate WEBHOOK_SECRET/,
  },
  {
    name: "doctor finds .env in the history of another branch",
    make: async (dir) => {
      await git(dir, "checkout", "--quiet", "-b", "leak");
      await git(dir, "add", "--force", ".env");
      await git(dir, "commit", "--quiet", "-m", "oops");
      // Leaving the branch removes the file it tracked; put the working copy back.
      await git(dir, "checkout", "--quiet", "-");
      await writeFileWithMode(`${dir}/.env`, HEALTHY_ENV, 0o600);
    },
    what: /\.env appears in git history/,
    fix: /rotate/,
  },
  {
    name: "doctor fails a .env readable by other users",
    make: (dir) => Deno.chmod(`${dir}/.env`, 0o644),
    what: /readable or writable by other users \(mode 0644\)/,
    fix: /chmod 600 \.env/,
  },
  {
    name: "doctor fails a .env readable by its group",
    make: (dir) => Deno.chmod(`${dir}/.env`, 0o640),
    what: /mode 0640/,
    fix: /chmod 600 \.env/,
  },
  {
    name: "doctor fails a secret shorter than 16 bytes without printing it",
    make: (dir) =>
      writeFileWithMode(
        `${dir}/.env`,
        `WEBHOOK_SECRET=${SHORT_SECRET}\nEGRESS_ALLOW_HOSTS=a.b\n`,
        0o600,
      ),
    what: /WEBHOOK_SECRET is shorter than 16 bytes/,
    fix: /hookgate init/,
    absent: [SHORT_SECRET, "redacted"],
  },
];

for (const fault of FAULTS) {
  Deno.test(fault.name, async () => {
    await using repo = await healthyRepo();
    await fault.make(repo.path);
    const run = await doctor(repo.path, fault.realEnv);
    assertOnlyFailure(run, fault.what, fault.fix);
    for (const text of fault.absent ?? []) assert.ok(!run.stdout.includes(text), text);
  });
}

/** Replaces the healthy repository's .env (mode 0600) with `env` and runs doctor. */
async function doctorWithEnv(env: string): Promise<DoctorRun> {
  await using repo = await healthyRepo();
  await writeFileWithMode(`${repo.path}/.env`, env, 0o600);
  return await doctor(repo.path);
}

Deno.test("doctor only warns about an unset EGRESS_ALLOW_HOSTS (receiving only is valid), exit 0", async () => {
  const run = await doctorWithEnv(
    `WEBHOOK_SECRET=${STRONG}\nEGRESS_ALLOW_HOSTS=\nHOOKGATE_EXEC_USER=hookgate-agent\n`,
  );
  assert.deepEqual(withStatus(run, "FAIL"), [], run.stdout);
  const warnings = withStatus(run, "warn");
  assert.equal(warnings.length, 1, run.stdout);
  assert.match(warnings[0] ?? "", /EGRESS_ALLOW_HOSTS is not set.*add EGRESS_ALLOW_HOSTS=/s);
  assert.equal(run.code, 0);
});

Deno.test("doctor fails a HOOKGATE_ROUTES route whose secret is missing, naming where it comes from, exit 78", async () => {
  const base =
    `WEBHOOK_SECRET=${STRONG}\nEGRESS_ALLOW_HOSTS=a.example\nHOOKGATE_EXEC_USER=hookgate-agent\n`;
  const missing = await doctorWithEnv(
    `${base}HOOKGATE_ROUTES=/webhook=hookgate:WEBHOOK_SECRET,/stripe=stripe:STRIPE_WEBHOOK_SECRET\n`,
  );
  assert.equal(missing.code, 78, missing.stdout);
  assert.match(
    withStatus(missing, "FAIL").join("\n"),
    /STRIPE_WEBHOOK_SECRET is not set \(route \/stripe, stripe\): .*Stripe's Dashboard/,
  );
  const present = await doctorWithEnv(
    `${base}HOOKGATE_ROUTES=/webhook=hookgate:WEBHOOK_SECRET,/stripe=stripe:STRIPE_WEBHOOK_SECRET\n` +
      `STRIPE_WEBHOOK_SECRET=whsec_${STRONG}\n`,
  );
  assert.equal(present.code, 0, present.stdout);
  assert.match(
    present.stdout,
    /ok {4}HOOKGATE_ROUTES: \/webhook \(hookgate\), \/stripe \(stripe\), each with its secret set/,
  );
});

Deno.test("doctor only warns about the published example secret, exit 0", async () => {
  const run = await doctorWithEnv(
    "WEBHOOK_SECRET=dev-shared-secret-change-me\nEGRESS_ALLOW_HOSTS=a.example\n" +
      "HOOKGATE_EXEC_USER=hookgate-agent\n",
  );
  assert.equal(run.code, 0, run.stdout);
  assert.deepEqual(withStatus(run, "FAIL"), []);
  const warnings = withStatus(run, "warn");
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? "", /published example value/);
  assert.ok(!run.stdout.includes("dev-shared-secret-change-me"));
});

Deno.test("doctor warns about a secret under 32 bytes, exit 0", async () => {
  const run = await doctorWithEnv("WEBHOOK_SECRET=twenty-byte-secret-x\nEGRESS_ALLOW_HOSTS=a.b\n");
  assert.equal(run.code, 0);
  assert.match(withStatus(run, "warn")[0] ?? "", /20 bytes; 32 or more recommended/);
});

Deno.test("doctor skips the git checks outside a repository, with a note", async () => {
  await using dir = await tempDir("hookgate-dir-");
  await Deno.writeTextFile(`${dir.path}/.gitignore`, ".env\n");
  await writeFileWithMode(`${dir.path}/.env`, HEALTHY_ENV, 0o600);
  const run = await doctor(dir.path);
  assert.equal(run.code, 0, run.stdout);
  assert.deepEqual(withStatus(run, "skip"), ["skip  git checks skipped: not a git repository"]);
  assert.ok(!run.stdout.includes("tracked by git"));
});

Deno.test("doctor reports several failures together, one line each", async () => {
  await using repo = await healthyRepo();
  await Deno.chmod(`${repo.path}/.env`, 0o644);
  await git(repo.path, "add", "--force", ".env");
  const run = await doctor(repo.path);
  assert.equal(run.code, 78);
  assert.equal(withStatus(run, "FAIL").length, 2);
  assert.match(run.lines.at(-1) ?? "", /2 failed/);
});

Deno.test("doctor runs as a subprocess after init and passes", async () => {
  await using repo = await tempRepo();
  const permissions = ["--allow-read", "--allow-write", "--allow-env", "--allow-run=git"];
  assert.equal((await runCli(["init"], { cwd: repo.path, permissions })).code, 0);
  const run = await runCli(["doctor"], { cwd: repo.path, permissions });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  // init gives agents no user of their own: that is the one warning.
  const lines = run.stdout.split("\n");
  assert.deepEqual(lines.filter((line) => line.startsWith("FAIL ")), []);
  const warnings = lines.filter((line) => line.startsWith("warn "));
  assert.equal(warnings.length, 1, run.stdout);
  assert.match(warnings[0] ?? "", /run as the same user as hookgate/);
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

Deno.test("runDoctorChecks() fails a .gitignore whose .env line a later !.env takes back, and says so", () => {
  const check = runDoctorChecks(facts({ gitignore: ".env\n.hookgate/\n!.env\n" }))
    .find((c) => c.id === "gitignore");
  assert.equal(check?.status, "FAIL");
  assert.match(check?.message ?? "", /a later line \(!…\) takes it back/);
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

Deno.test("runDoctorChecks() fails a guessable token key and warns about a repetitive webhook secret", () => {
  const weak = "a".repeat(40);
  const input = facts({
    env: { WEBHOOK_SECRET: weak, HOOKGATE_TOKEN_SECRET: weak, EGRESS_ALLOW_HOSTS: "a.b" },
  });
  assert.equal(statusOf(input, "token-secret-strength"), "FAIL");
  assert.equal(statusOf(input, "secret-strength"), "warn");
  const strong = facts({
    env: {
      WEBHOOK_SECRET: "pQ7vX2mK9sL4wE8rT1yU6iO3aZ5bN0cD",
      HOOKGATE_TOKEN_SECRET: "Zx8Cv7Bn6Mm5Aa4Ss3Dd2Ff1Gg0Hh9Jj",
      EGRESS_ALLOW_HOSTS: "a.b",
    },
  });
  assert.equal(statusOf(strong, "token-secret-strength"), "ok");
  assert.equal(statusOf(strong, "secret-strength"), "ok");
});

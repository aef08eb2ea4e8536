import assert from "node:assert/strict";
import {
  parseDurationMs,
  parseOptionalNumber,
  parsePositiveInt,
  PLACEHOLDER_SECRET,
  readSecret,
  SECRET_VAR,
} from "../../lib/setup/mod.ts";
import { runCli } from "../support/cli.ts";
import { makeTempDir, removeDir, writeFileWithMode } from "../support/temp_repo.ts";

function reasonOf(env: Record<string, string>): string {
  const result = readSecret(env);
  assert.equal(result.ok, false);
  return result.ok ? "" : result.reason;
}

Deno.test("readSecret() refuses a missing secret, naming the variable and the fix", () => {
  const reason = reasonOf({});
  assert.match(reason, /^WEBHOOK_SECRET is not set/);
  assert.match(reason, /hookgate init/);
  assert.match(reason, /\.env/);
});

Deno.test("readSecret() refuses an empty or blank secret", () => {
  assert.match(reasonOf({ WEBHOOK_SECRET: "" }), /WEBHOOK_SECRET is not set/);
  assert.match(reasonOf({ WEBHOOK_SECRET: "   " }), /WEBHOOK_SECRET is not set/);
});

Deno.test("readSecret() refuses a secret under 16 bytes without quoting it", () => {
  const short = "fifteen-bytes!!";
  const reason = reasonOf({ WEBHOOK_SECRET: short });
  assert.match(reason, /WEBHOOK_SECRET is shorter than 16 bytes/);
  assert.ok(!reason.includes(short));
});

Deno.test("readSecret() counts bytes, not characters", () => {
  assert.equal(readSecret({ WEBHOOK_SECRET: "ééééééé" }).ok, false); // 14 bytes
  assert.equal(readSecret({ WEBHOOK_SECRET: "éééééééé" }).ok, true); // 16 bytes
});

Deno.test("readSecret() accepts 16 bytes and the published example secret", () => {
  assert.deepEqual(readSecret({ WEBHOOK_SECRET: "0123456789abcdef" }), {
    ok: true,
    value: "0123456789abcdef",
  });
  assert.equal(readSecret({ WEBHOOK_SECRET: PLACEHOLDER_SECRET }).ok, true);
});

Deno.test("readSecret() reads the variable it is asked for, and names that one", () => {
  const env = { WEBHOOK_SECRET: "0123456789abcdef", HOOKGATE_TOKEN_SECRET: "short" };
  assert.equal(SECRET_VAR, "WEBHOOK_SECRET");
  assert.equal(readSecret(env).ok, true);
  const token = readSecret(env, "HOOKGATE_TOKEN_SECRET");
  assert.ok(!token.ok && token.reason.startsWith("HOOKGATE_TOKEN_SECRET is shorter"));
});

Deno.test("parsePositiveInt() accepts digits only and refuses zero", () => {
  assert.deepEqual(parsePositiveInt("N", "300"), { ok: true, value: 300 });
  for (const raw of ["0", "-1", "1.5", "1e3", " 3", "", "0x10"]) {
    assert.equal(parsePositiveInt("N", raw).ok, false, raw);
  }
});

Deno.test("parseDurationMs() reads units and defaults to seconds", () => {
  assert.deepEqual(parseDurationMs("T", "90"), { ok: true, value: 90_000 });
  assert.deepEqual(parseDurationMs("T", "250ms"), { ok: true, value: 250 });
  assert.deepEqual(parseDurationMs("T", "15m"), { ok: true, value: 900_000 });
  assert.deepEqual(parseDurationMs("T", "7d"), { ok: true, value: 604_800_000 });
  for (const raw of ["0s", "1w", "-5s", "1.5h", "h"]) {
    assert.equal(parseDurationMs("T", raw).ok, false, raw);
  }
});

// The same rules seen from outside: a real process, its .env and its environment.

const DOCTOR = ["--allow-read", "--allow-env", "--allow-run=git"];

async function inDir(envText: string, body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/.gitignore`, ".env\n");
    await writeFileWithMode(`${dir}/.env`, envText, 0o600);
    await body(dir);
  } finally {
    await removeDir(dir);
  }
}

Deno.test("parseOptionalNumber() gives the fallback when absent and refuses a value past max", () => {
  const limits = { fallback: 5, max: 64 };
  assert.deepEqual(parseOptionalNumber("--n", undefined, parsePositiveInt, limits), {
    ok: true,
    value: 5,
  });
  assert.deepEqual(parseOptionalNumber("--n", "64", parsePositiveInt, limits), {
    ok: true,
    value: 64,
  });
  assert.deepEqual(parseOptionalNumber("--n", "65", parsePositiveInt, limits), {
    ok: false,
    reason: "--n must be at most 64, got 65",
  });
  assert.deepEqual(parseOptionalNumber("--n", "0", parsePositiveInt, limits), {
    ok: false,
    reason: "--n must be a positive whole number, got '0'",
  });
  assert.deepEqual(
    parseOptionalNumber("--ttl", "25h", parseDurationMs, {
      fallback: 1000,
      max: 86_400_000,
      tooLarge: "--ttl is capped at 24h",
    }),
    { ok: false, reason: "--ttl is capped at 24h" },
  );
  assert.deepEqual(parseOptionalNumber("--t", "2d", parseDurationMs, { fallback: 1 }), {
    ok: true,
    value: 172_800_000,
  });
});

Deno.test("a variable in the real environment beats .env in a real process", async () => {
  const envText = "WEBHOOK_SECRET=0123456789abcdef0123456789abcdef\n" +
    "EGRESS_ALLOW_HOSTS=from-file.example\n";
  await inDir(envText, async (cwd) => {
    const result = await runCli(["doctor"], {
      cwd,
      permissions: DOCTOR,
      env: { EGRESS_ALLOW_HOSTS: "from-env-a.example,from-env-b.example" },
    });
    assert.equal(result.code, 0, result.stdout);
    assert.match(result.stdout, /allows 2 hosts: from-env-a\.example, from-env-b\.example/);
    assert.ok(!result.stdout.includes("from-file.example"));
  });
});

for (
  const [label, envText, expected] of [
    ["missing", "EGRESS_ALLOW_HOSTS=a.example\n", /does not define WEBHOOK_SECRET/],
    ["empty", "WEBHOOK_SECRET=\nEGRESS_ALLOW_HOSTS=a.example\n", /does not define WEBHOOK_SECRET/],
    [
      "short",
      "WEBHOOK_SECRET=Short-Val-9x\nEGRESS_ALLOW_HOSTS=a.example\n",
      /WEBHOOK_SECRET is shorter than 16 bytes/,
    ],
  ] as const
) {
  Deno.test(`a ${label} secret exits 78 naming WEBHOOK_SECRET, never its value`, async () => {
    await inDir(envText, async (cwd) => {
      const result = await runCli(["doctor"], { cwd, permissions: DOCTOR });
      const printed = result.stdout + result.stderr;
      assert.equal(result.code, 78, printed);
      assert.match(printed, expected);
      assert.ok(!printed.includes("Short-Val-9x"));
      assert.ok(!printed.includes("redacted"), "the value reached the output (and was redacted)");
    });
  });
}

Deno.test("a secret in the real environment is judged, not the one in .env", async () => {
  await inDir(
    "WEBHOOK_SECRET=0123456789abcdef0123456789abcdef\nEGRESS_ALLOW_HOSTS=a.b\n",
    async (cwd) => {
      const result = await runCli(["doctor"], {
        cwd,
        permissions: DOCTOR,
        env: { WEBHOOK_SECRET: "Short-Val-9x" },
      });
      assert.equal(result.code, 78);
      assert.match(result.stdout, /WEBHOOK_SECRET is shorter than 16 bytes/);
    },
  );
});

Deno.test("an unreadable .env is a configuration error (78) naming .env", async () => {
  const dir = await makeTempDir();
  try {
    await Deno.mkdir(`${dir}/.env`);
    const result = await runCli(["doctor"], { cwd: dir, permissions: DOCTOR });
    assert.equal(result.code, 78);
    assert.match(result.stderr, /^hookgate: cannot read \.env in /);
    assert.match(result.stderr, /chmod 600 \.env/);
  } finally {
    await removeDir(dir);
  }
});

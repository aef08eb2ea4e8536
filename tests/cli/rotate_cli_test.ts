import assert from "node:assert/strict";
import { parseDotenv } from "../../lib/setup/mod.ts";
import { activeSecrets, buildRoutes, parsePreviousSecrets } from "../../lib/receive/mod.ts";
import { runCli } from "../support/cli.ts";
import { fileMode, makeTempDir, removeDir, writeFileWithMode } from "../support/temp_repo.ts";

// The rotate task's own grant: .env and its directory (for the temp file), nothing else.
const ROTATE_PERMISSIONS = ["--allow-read=.env,.", "--allow-write=.env,.", "--allow-env"];
const ORIGINAL = "original-secret-0123456789abcdef";

async function withEnvFile(
  text: string,
  body: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await makeTempDir();
  try {
    await writeFileWithMode(`${dir}/.env`, text, 0o600);
    await body(dir);
  } finally {
    await removeDir(dir);
  }
}

function rotate(dir: string, args: string[] = [], env: Record<string, string> = {}) {
  return runCli(["rotate", ...args], { cwd: dir, env, permissions: ROTATE_PERMISSIONS });
}

async function readEnv(dir: string): Promise<Record<string, string>> {
  return parseDotenv(await Deno.readTextFile(`${dir}/.env`));
}

function assertNoSecretIn(output: string, secrets: string[]) {
  for (const secret of secrets) assert.ok(!output.includes(secret), "a secret was printed");
}

Deno.test("rotate twice keeps .env valid and 0600, both old secrets active, none printed", async () => {
  await withEnvFile(`# mine\nWEBHOOK_SECRET=${ORIGINAL}\nOTHER=keep me\n`, async (dir) => {
    const first = await rotate(dir);
    assert.equal(first.code, 0, first.stderr);
    const afterFirst = await readEnv(dir);
    const second = await rotate(dir, ["--grace", "1h"]);
    assert.equal(second.code, 0, second.stderr);
    const env = await readEnv(dir);

    assert.equal(await fileMode(`${dir}/.env`), 0o600);
    assert.match((await Deno.readTextFile(`${dir}/.env`)).split("\n")[0] as string, /^# mine$/);
    assert.equal(env.OTHER, "keep me");
    const secrets = [ORIGINAL, afterFirst.WEBHOOK_SECRET as string, env.WEBHOOK_SECRET as string];
    assert.equal(new Set(secrets).size, 3);
    assert.match(env.WEBHOOK_SECRET as string, /^[A-Za-z0-9_-]{43}$/);
    const active = activeSecrets(env, "WEBHOOK_SECRET", { nowMs: Date.now() });
    assert.deepEqual(active, { ok: true, value: secrets.toReversed() });
    assertNoSecretIn(first.stdout + first.stderr + second.stdout + second.stderr, secrets);
    const routes = buildRoutes(env, {
      toleranceSeconds: 300,
      routeSpecs: [],
      nowMs: Date.now(),
    });
    assert.equal(routes.ok && routes.value[0]?.keys.length, 3);
  });
});

Deno.test("rotate gives the old secret an expiry of now + grace", async () => {
  await withEnvFile(`WEBHOOK_SECRET=${ORIGINAL}\n`, async (dir) => {
    const before = Date.now();
    const result = await rotate(dir, ["--grace", "2h"]);
    assert.equal(result.code, 0, result.stderr);
    const previous = parsePreviousSecrets(
      "WEBHOOK_SECRET",
      (await readEnv(dir)).WEBHOOK_SECRET_PREVIOUS,
    );
    assert.ok(previous.ok);
    assert.equal(previous.value.length, 1);
    const expiresAtMs = previous.value[0]?.expiresAtMs as number;
    assert.ok(expiresAtMs >= Math.floor(before / 1000) * 1000 + 7_200_000 - 1000);
    assert.ok(expiresAtMs <= Date.now() + 7_200_000);
  });
});

Deno.test("rotate drops previous secrets that have expired", async () => {
  const expired = "expired-secret-0123456789abcdef";
  const live = "still-live-secret-0123456789abcd";
  await withEnvFile(
    `WEBHOOK_SECRET=${ORIGINAL}\nWEBHOOK_SECRET_PREVIOUS=${expired}@2020-01-01T00:00:00Z,${live}@2999-01-01T00:00:00Z\n`,
    async (dir) => {
      const result = await rotate(dir);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /dropped 1 expired secret/);
      const previous = (await readEnv(dir)).WEBHOOK_SECRET_PREVIOUS as string;
      assert.ok(!previous.includes(expired));
      assert.ok(previous.startsWith(`${ORIGINAL}@`));
      assert.ok(previous.endsWith(`,${live}@2999-01-01T00:00:00Z`));
    },
  );
});

Deno.test("rotate makes a whsec_ secret for a variable a standard route uses", async () => {
  const current = "whsec_" + btoa("the current standard secret!!!!!");
  await withEnvFile(
    `SVIX_SECRET=${current}\nHOOKGATE_ROUTES=/svix=standard:SVIX_SECRET\n`,
    async (dir) => {
      const result = await rotate(dir, ["--var", "SVIX_SECRET"]);
      assert.equal(result.code, 0, result.stderr);
      const env = await readEnv(dir);
      assert.match(env.SVIX_SECRET as string, /^whsec_[A-Za-z0-9+/]{43}=$/);
      const routes = buildRoutes(env, {
        toleranceSeconds: 300,
        routeSpecs: [],
        nowMs: Date.now(),
      });
      assert.ok(routes.ok, routes.ok ? "" : routes.reason);
      assert.equal(routes.value[0]?.keys.length, 2);
    },
  );
});

Deno.test("rotate refuses a variable set in the real environment, leaving .env untouched", async () => {
  const text = `WEBHOOK_SECRET=${ORIGINAL}\n`;
  await withEnvFile(text, async (dir) => {
    const result = await rotate(dir, [], { WEBHOOK_SECRET: "from-the-environment-0123456789" });
    assert.equal(result.code, 78);
    assert.match(result.stderr, /WEBHOOK_SECRET is set in the environment/);
    assert.equal(await Deno.readTextFile(`${dir}/.env`), text);
    assertNoSecretIn(result.stdout + result.stderr, [ORIGINAL, "from-the-environment-0123456789"]);
  });
});

Deno.test("rotate refuses a stripe route's variable: Stripe makes that secret", async () => {
  const text =
    `STRIPE_SECRET=whsec_stripe_made_0123456789\nHOOKGATE_ROUTES=/s=stripe:STRIPE_SECRET\n`;
  await withEnvFile(text, async (dir) => {
    const result = await rotate(dir, ["--var", "STRIPE_SECRET"]);
    assert.equal(result.code, 78);
    assert.match(result.stderr, /Roll it in Stripe's dashboard/);
    assert.equal(await Deno.readTextFile(`${dir}/.env`), text);
  });
});

Deno.test("rotate refuses a malformed _PREVIOUS list without printing it", async () => {
  const text = `WEBHOOK_SECRET=${ORIGINAL}\nWEBHOOK_SECRET_PREVIOUS=old-secret-0123456789abcdef\n`;
  await withEnvFile(text, async (dir) => {
    const result = await rotate(dir);
    assert.equal(result.code, 78);
    assert.match(result.stderr, /WEBHOOK_SECRET_PREVIOUS entry 1 of 1/);
    assertNoSecretIn(result.stderr, ["old-secret-0123456789abcdef"]);
    assert.equal(await Deno.readTextFile(`${dir}/.env`), text);
  });
});

Deno.test("rotate refuses a .env that is a symbolic link: the link and its target stay as they were", async () => {
  const dir = await makeTempDir();
  try {
    const text = `WEBHOOK_SECRET=${ORIGINAL}\n`;
    await Deno.mkdir(`${dir}/shared`);
    await writeFileWithMode(`${dir}/shared/app.env`, text, 0o640);
    await Deno.symlink("shared/app.env", `${dir}/.env`);
    const result = await rotate(dir, [], {});
    assert.equal(result.code, 78, result.stderr);
    assert.match(result.stderr, /\.env is a symbolic link/);
    assert.equal((await Deno.lstat(`${dir}/.env`)).isSymlink, true);
    assert.equal(await Deno.readTextFile(`${dir}/shared/app.env`), text);
    assert.equal(await fileMode(`${dir}/shared/app.env`), 0o640);
  } finally {
    await removeDir(dir);
  }
});

Deno.test("rotate without .env says to run init (exit 78)", async () => {
  const dir = await makeTempDir();
  try {
    const result = await rotate(dir);
    assert.equal(result.code, 78);
    assert.match(result.stderr, /\.env not found.*hookgate init/);
  } finally {
    await removeDir(dir);
  }
});

Deno.test("rotate refuses a bad --grace, --format or --var as usage errors (exit 64)", async () => {
  await withEnvFile(`WEBHOOK_SECRET=${ORIGINAL}\n`, async (dir) => {
    for (
      const args of [["--grace", "soon"], ["--grace", "400d"], ["--format", "hex"], [
        "--var",
        "A-B",
      ], ["--var", "WEBHOOK_SECRET_PREVIOUS"]]
    ) {
      const result = await rotate(dir, args);
      assert.equal(result.code, 64, `${args.join(" ")}: ${result.stderr}`);
    }
    assert.equal((await readEnv(dir)).WEBHOOK_SECRET, ORIGINAL);
  });
});

Deno.test("rotate --grace without a unit is refused: the old secret is not cut to seconds", async () => {
  await withEnvFile(`WEBHOOK_SECRET=${ORIGINAL}\n`, async (dir) => {
    const result = await rotate(dir, ["--grace", "7"]);
    assert.equal(result.code, 64, result.stderr);
    assert.match(result.stderr, /--grace needs a unit: '7' alone would be 7 seconds; write 7h, 7d/);
    const env = await readEnv(dir);
    assert.equal(env.WEBHOOK_SECRET, ORIGINAL, ".env was not rotated");
    assert.equal(env.WEBHOOK_SECRET_PREVIOUS, undefined);
    assertNoSecretIn(result.stdout + result.stderr, [ORIGINAL]);
  });
});

Deno.test("rotate --var of a variable nothing uses creates it and warns that serve does not read it", async () => {
  await withEnvFile(`WEBHOOK_SECRET=${ORIGINAL}\n`, async (dir) => {
    const typo = await rotate(dir, ["--var", "WEBHOOK_SECRT"]);
    assert.equal(typo.code, 0, typo.stderr);
    assert.match(typo.stdout, /^created WEBHOOK_SECRT in \.env/);
    assert.match(typo.stderr, /warning: WEBHOOK_SECRT was not in \.env and no route uses it/);
    assert.equal((await readEnv(dir)).WEBHOOK_SECRET, ORIGINAL, "the meant one is untouched");
    const routed = await rotate(dir, ["--var", "GITHUB_WEBHOOK_SECRET"], {
      HOOKGATE_ROUTES: "/github=github:GITHUB_WEBHOOK_SECRET",
    });
    assert.equal(routed.code, 0, routed.stderr);
    assert.doesNotMatch(routed.stderr, /warning/);
    const token = await rotate(dir, ["--var", "HOOKGATE_TOKEN_SECRET"]);
    assert.doesNotMatch(token.stderr, /warning/);
  });
});

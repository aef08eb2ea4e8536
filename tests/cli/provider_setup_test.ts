/**
 * Provider set-up without traps: init --route makes each route's secret in
 * its provider's format, rotate keeps to the scheme's format, and serve's
 * error for a missing provider secret names what creates it.
 */
import assert from "node:assert/strict";
import { missingSecretHint, providerSetup } from "../../lib/cli/provider_setup.ts";
import { parseDotenv } from "../../lib/setup/mod.ts";
import { SCHEMES } from "../../lib/schemes/mod.ts";
import { runCli } from "../support/cli.ts";
import { tempDir } from "../support/temp_dir.ts";

async function envOf(dir: string): Promise<Record<string, string>> {
  return parseDotenv(await Deno.readTextFile(`${dir}/.env`));
}

Deno.test("providerSetup() makes secrets each scheme accepts; Stripe's is Stripe's to make", () => {
  // Every scheme, so a new one is checked too; null: the provider makes the secret.
  for (const [name, scheme] of Object.entries(SCHEMES)) {
    const secret = providerSetup(name).newSecret();
    if (secret === null) continue;
    assert.ok(scheme.secretBytes(secret).ok, `${name}: ${secret.length} chars`);
  }
  assert.match(providerSetup("github").newSecret() as string, /^[0-9a-f]{64}$/);
  assert.match(providerSetup("standard").newSecret() as string, /^whsec_[A-Za-z0-9+/]{43}=$/);
  assert.equal(providerSetup("stripe").newSecret(), null);
});

Deno.test("init --route writes a GitHub secret, a whsec_ secret, HOOKGATE_ROUTES, and Stripe's paste step", async () => {
  await using temp = await tempDir("hookgate-provider-");
  const dir = temp.path;
  const result = await runCli([
    "init",
    "--route",
    "/github=github:GITHUB_WEBHOOK_SECRET",
    "--route",
    "/svix=standard:SVIX_SECRET",
    "--route",
    "/stripe=stripe:STRIPE_WEBHOOK_SECRET",
  ], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  const env = await envOf(dir);
  assert.match(env.GITHUB_WEBHOOK_SECRET ?? "", /^[0-9a-f]{64}$/);
  assert.match(env.SVIX_SECRET ?? "", /^whsec_/);
  assert.equal(env.STRIPE_WEBHOOK_SECRET, undefined, "init does not invent Stripe's secret");
  assert.equal(
    env.HOOKGATE_ROUTES,
    "/github=github:GITHUB_WEBHOOK_SECRET,/svix=standard:SVIX_SECRET,/stripe=stripe:STRIPE_WEBHOOK_SECRET",
  );
  assert.match(result.stdout, /route \/github \(github\): next: in GitHub, .*Webhooks/);
  assert.match(
    result.stdout,
    /route \/stripe \(stripe\): next: Stripe makes this one\..*Signing secret.*add a line to \.env that sets STRIPE_WEBHOOK_SECRET to that whsec_… value/,
  );
  assert.ok(!result.stdout.includes(env.GITHUB_WEBHOOK_SECRET as string), "no secret printed");
  assert.doesNotMatch(
    result.stdout,
    /redacted/,
    "the next steps are not mangled by the redactor",
  );
});

Deno.test("init --route says the default /webhook route is no longer served, unless it is listed", async () => {
  await using temp = await tempDir("hookgate-provider-");
  const dir = temp.path;
  const github = await runCli(["init", "--route", "/github=github:GITHUB_WEBHOOK_SECRET"], {
    cwd: dir,
  });
  assert.equal(github.code, 0, github.stderr);
  assert.match(
    github.stdout,
    /no longer POST \/webhook; to keep it: hookgate init --route \/webhook=hookgate:WEBHOOK_SECRET\)/,
  );
  const kept = await runCli(["init", "--route", "/webhook=hookgate:WEBHOOK_SECRET"], {
    cwd: dir,
  });
  assert.equal(kept.code, 0, kept.stderr);
  assert.equal(
    (await envOf(dir)).HOOKGATE_ROUTES,
    "/github=github:GITHUB_WEBHOOK_SECRET,/webhook=hookgate:WEBHOOK_SECRET",
  );
  assert.doesNotMatch(kept.stdout, /no longer POST \/webhook/);
});

Deno.test("serve in a directory without .env says to run plain 'hookgate init'", async () => {
  await using temp = await tempDir("hookgate-provider-");
  const dir = temp.path;
  const result = await runCli(["serve", "--port", "0"], { cwd: dir });
  assert.equal(result.code, 78);
  assert.match(
    result.stderr,
    /WEBHOOK_SECRET is not set \(route \/webhook, hookgate\): run 'hookgate init' in this directory/,
  );
});

Deno.test("serve without a route's secret names the command that creates it", async () => {
  await using temp = await tempDir("hookgate-provider-");
  const dir = temp.path;
  const github = await runCli(["serve", "--route", "/github=github:GH_SECRET"], { cwd: dir });
  assert.equal(github.code, 78);
  assert.match(
    github.stderr,
    /GH_SECRET is not set \(route \/github, github\): run 'hookgate init --route \/github=github:GH_SECRET'/,
  );
  const stripe = await runCli(["serve", "--route", "/s=stripe:STRIPE_SECRET"], { cwd: dir });
  assert.equal(stripe.code, 78);
  assert.match(stripe.stderr, /STRIPE_SECRET is not set .*Stripe's Dashboard/);
  assert.equal(missingSecretHint("bad signature", []), null);
});

Deno.test("rotate keeps a Standard Webhooks variable in whsec_ format and drops a value the scheme cannot use", async () => {
  await using temp = await tempDir("hookgate-provider-");
  const dir = temp.path;
  // A base64url value where whsec_ is expected verifies nothing: it is not kept as _PREVIOUS.
  await Deno.writeTextFile(
    `${dir}/.env`,
    "SVIX_SECRET=plain-base64url-value-0123456789abcdef\n" +
      "HOOKGATE_ROUTES=/svix=standard:SVIX_SECRET\n",
    { mode: 0o600 },
  );
  const result = await runCli(["rotate", "--var", "SVIX_SECRET"], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  const env = await envOf(dir);
  assert.match(env.SVIX_SECRET ?? "", /^whsec_/);
  assert.equal(env.SVIX_SECRET_PREVIOUS ?? "", "");
  assert.match(result.stdout, /was not a valid standard secret, so it was dropped/);
  assert.doesNotMatch(result.stderr, /GitHub/, "the next step is for this provider only");
});

Deno.test("rotate --scheme github writes a hex secret and prints GitHub's next step only", async () => {
  await using temp = await tempDir("hookgate-provider-");
  const dir = temp.path;
  await Deno.writeTextFile(`${dir}/.env`, `GH=${"a".repeat(40)}\n`, { mode: 0o600 });
  const result = await runCli(["rotate", "--var", "GH", "--scheme", "github"], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  assert.match((await envOf(dir)).GH ?? "", /^[0-9a-f]{64}$/);
  assert.match(result.stderr, /next: in GitHub/);
  assert.doesNotMatch(result.stderr, /whsec_|Stripe/);
});

Deno.test("every scheme has a set-up of its own: a new one cannot quietly get hookgate's secret format", () => {
  for (const name of Object.keys(SCHEMES)) {
    assert.equal(providerSetup(name).scheme, name, `no provider set-up for the '${name}' scheme`);
  }
});

import assert from "node:assert/strict";
import {
  createEventsApi,
  openTokenRevocations,
  tokenKeyFromEnv,
  verifyToken,
} from "../../lib/api/mod.ts";
import { createRedactor } from "../../lib/redact/mod.ts";
import type { HmacKey } from "../../lib/util/mod.ts";
import { cliCommand, runCli } from "../support/cli.ts";
import { tempDir } from "../support/temp_dir.ts";
import { MemoryEventStore } from "../support/memory_event_store.ts";

const TOKEN_SECRET = "token-cli-canary-" + crypto.randomUUID();
const WEBHOOK_SECRET = "webhook-cli-canary-" + crypto.randomUUID();
const ENV = { HOOKGATE_TOKEN_SECRET: TOKEN_SECRET, WEBHOOK_SECRET };
const TOKEN_LINE = /^hgt_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}\n$/;

function key(): HmacKey {
  const result = tokenKeyFromEnv(ENV);
  assert.ok(result.ok);
  return result.value;
}

Deno.test("hookgate token --scope write prints a valid write token on stdout and its id and expiry on stderr", async () => {
  const before = Date.now();
  const result = await runCli(["token", "--scope", "write", "--ttl", "10m"], { env: ENV });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, TOKEN_LINE);
  const verified = await verifyToken(`Bearer ${result.stdout.trim()}`, {
    key: key(),
    nowMs: Date.now(),
    isRevoked: () => Promise.resolve(false),
  });
  assert.ok(verified.ok, verified.ok ? "" : verified.reason);
  assert.equal(verified.value.scope, "write");
  assert.ok(verified.value.expiresAtMs <= Date.now() + 10 * 60_000);
  assert.ok(verified.value.expiresAtMs >= before + 10 * 60_000 - 1000);
  assert.match(result.stderr, new RegExp(`write token ${verified.value.tokenId} valid until 20`));
  assert.match(result.stderr, new RegExp(`--revoke ${verified.value.tokenId}`));
});

Deno.test("hookgate token never prints the token key or the webhook secret", async () => {
  const result = await runCli(["token", "--scope", "read"], { env: ENV });
  assert.equal(result.code, 0, result.stderr);
  for (const secret of [TOKEN_SECRET, WEBHOOK_SECRET]) {
    assert.equal(result.stdout.includes(secret), false);
    assert.equal(result.stderr.includes(secret), false);
  }
  assert.equal(result.stderr.includes(result.stdout.trim()), false, "the token leaked to stderr");
});

Deno.test("hookgate token without HOOKGATE_TOKEN_SECRET exits 78 and says to run init", async () => {
  const result = await runCli(["token", "--scope", "read"], { env: { WEBHOOK_SECRET } });
  assert.equal(result.code, 78);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /HOOKGATE_TOKEN_SECRET is not set: run 'hookgate init'/);
});

Deno.test("hookgate token with a short HOOKGATE_TOKEN_SECRET exits 78 without echoing it", async () => {
  const result = await runCli(["token", "--scope", "read"], {
    env: { HOOKGATE_TOKEN_SECRET: "tiny-secret" },
  });
  assert.equal(result.code, 78);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /HOOKGATE_TOKEN_SECRET is shorter than 16 bytes/);
  assert.equal(result.stderr.includes("tiny-secret"), false);
});

Deno.test("hookgate token refuses a TTL over 24h, an unknown scope, and a bad id as usage errors", async () => {
  for (
    const args of [
      ["--scope", "read", "--ttl", "25h"],
      ["--scope", "admin"],
      [],
      ["--revoke", "not-an-id"],
      ["--revoke", "0123456789abcdef0123456789abcdef", "--scope", "read"],
      // An issued token is kept nowhere: a store beside --scope would mislead.
      ["--scope", "read", "--store", "redis://127.0.0.1:6379"],
      ["--revoke", "0123456789abcdef0123456789abcdef", "--store", "postgres://db"],
    ]
  ) {
    const result = await runCli(["token", ...args], { env: ENV });
    assert.equal(result.code, 64, `${args.join(" ")}: ${result.stderr}`);
    assert.equal(result.stdout, "");
  }
});

Deno.test("hookgate token --revoke ID makes the inspection API refuse that token", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "hookgate-token-" });
  try {
    const issued = await runCli(["token", "--scope", "read"], { env: ENV, cwd });
    assert.equal(issued.code, 0, issued.stderr);
    const bearer = `Bearer ${issued.stdout.trim()}`;
    const tokenId = /read token ([0-9a-f]{32})/.exec(issued.stderr)?.[1];
    assert.ok(tokenId);

    // The API reads the same revocation file a running serve would.
    const revocations = await openTokenRevocations(`${cwd}/.hookgate`);
    try {
      const api = createEventsApi({
        store: new MemoryEventStore(),
        tokenKey: key(),
        revocations,
        redactor: createRedactor(),
        now: Date.now,
      });
      const ask = async () => {
        const url = new URL("http://127.0.0.1/events?status=dead");
        const response = await api(new Request(url, { headers: { authorization: bearer } }));
        assert.ok(response);
        await response.body?.cancel();
        return response.status;
      };
      assert.equal(await ask(), 200);
      const revoked = await runCli(["token", "--revoke", tokenId], { env: ENV, cwd });
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.match(revoked.stderr, /revoked/);
      assert.equal(await ask(), 401);
    } finally {
      revocations.close();
    }
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("hookgate token refuses to mint under a key that is also a route's webhook secret", async () => {
  // Whoever holds a route's secret (the sender) could otherwise mint write tokens.
  const env = {
    HOOKGATE_TOKEN_SECRET: TOKEN_SECRET,
    HOOKGATE_ROUTES: "/gh=github:GH_SECRET",
    GH_SECRET: TOKEN_SECRET,
  };
  const result = await runCli(["token", "--scope", "write"], { env });
  assert.equal(result.code, 78, result.stderr);
  assert.equal(result.stdout, "");
  assert.equal(result.stderr.includes(TOKEN_SECRET), false);
  assert.match(result.stderr, /HOOKGATE_TOKEN_SECRET must differ/);
});

Deno.test("hookgate serve refuses to start when HOOKGATE_TOKEN_SECRET is a --route's secret", async () => {
  await using dir = await tempDir();
  const env = { HOOKGATE_TOKEN_SECRET: TOKEN_SECRET, MY_HOOK: TOKEN_SECRET };
  const args = ["serve", "--port", "0", "--route", "/hook=hookgate:MY_HOOK", "--data-dir", "data"];
  const child = cliCommand(args, { env, cwd: dir.path }).spawn();
  // A serve that wrongly starts would listen for ever: the deadline ends it and the test fails.
  const deadline = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const result = await child.output().finally(() => clearTimeout(deadline));
  const stdout = new TextDecoder().decode(result.stdout);
  const stderr = new TextDecoder().decode(result.stderr);
  assert.equal(result.code, 78, stderr);
  assert.match(stderr, /HOOKGATE_TOKEN_SECRET must differ/);
  assert.equal((stdout + stderr).includes(TOKEN_SECRET), false);
});

Deno.test("hookgate token --revoke with a bad HOOKGATE_STORE stops before writing anything", async () => {
  await using dir = await tempDir();
  const result = await runCli(["token", "--revoke", "0123456789abcdef0123456789abcdef"], {
    env: { ...ENV, HOOKGATE_STORE: "postgres://db" },
    cwd: dir.path,
  });
  assert.equal(result.code, 78, result.stderr);
  assert.match(result.stderr, /HOOKGATE_STORE: unknown store/);
  const written = await Deno.stat(`${dir.path}/.hookgate/tokens.kv`).then(() => true, () => false);
  assert.equal(written, false, "the revocation list was written although the command failed");
});

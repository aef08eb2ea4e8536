import assert from "node:assert/strict";
import { verifyToken } from "../../lib/api/mod.ts";
import { importHmacKey } from "../../lib/util/mod.ts";
import { runCli } from "../support/cli.ts";

const TOKEN_SECRET = "ui-cli-token-secret-" + crypto.randomUUID();
const ENV = { HOOKGATE_TOKEN_SECRET: TOKEN_SECRET };

async function verified(link: string) {
  const token = decodeURIComponent(new URL(link).hash.replace(/^#token=/, ""));
  const key = importHmacKey(new TextEncoder().encode(TOKEN_SECRET));
  return await verifyToken(`Bearer ${token}`, {
    key,
    nowMs: Date.now(),
    isRevoked: () => Promise.resolve(false),
  });
}

Deno.test("hookgate ui prints a link to /ui with a fresh read token in the fragment", async () => {
  const result = await runCli(["ui"], { env: ENV });
  assert.equal(result.code, 0, result.stderr);
  const link = result.stdout.trim();
  assert.match(link, /^http:\/\/127\.0\.0\.1:8000\/ui#token=hgt_/);
  const token = await verified(link);
  assert.ok(token.ok);
  assert.equal(token.value.scope, "read");
  assert.ok(token.value.expiresAtMs - Date.now() <= 15 * 60_000);
  assert.match(result.stderr, /hookgate token --revoke [0-9a-f]{32}/);
  assert.equal(result.stderr.includes("hgt_"), false, "the token went to stderr");
});

Deno.test("hookgate ui --scope write --ttl 1h --port 9000 makes a write token for that port", async () => {
  const result = await runCli(["ui", "--scope", "write", "--ttl", "1h", "--port", "9000"], {
    env: ENV,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^http:\/\/127\.0\.0\.1:9000\/ui#token=/);
  const token = await verified(result.stdout.trim());
  assert.ok(token.ok);
  assert.equal(token.value.scope, "write");
  assert.ok(token.value.expiresAtMs - Date.now() > 50 * 60_000);
});

Deno.test("hookgate ui --url uses serve's public address; --hostname :: becomes a reachable one", async () => {
  const viaUrl = await runCli(["ui", "--url", "https://hooks.example.com/"], { env: ENV });
  assert.equal(viaUrl.code, 0, viaUrl.stderr);
  assert.match(viaUrl.stdout, /^https:\/\/hooks\.example\.com\/ui#token=hgt_/);
  const ipv6 = await runCli(["ui", "--hostname", "::1"], { env: ENV });
  assert.match(ipv6.stdout, /^http:\/\/\[::1\]:8000\/ui#token=/);
  const any = await runCli(["ui", "--hostname", "0.0.0.0"], { env: ENV });
  assert.match(any.stdout, /^http:\/\/127\.0\.0\.1:8000\/ui#token=/);
  for (const local of [viaUrl, ipv6, any]) assert.doesNotMatch(local.stderr, /plain http/);
});

Deno.test("hookgate ui warns when its link sends the token over plain http to another machine", async () => {
  for (const args of [["--hostname", "10.0.0.8"], ["--url", "http://hooks.example.com"]]) {
    const result = await runCli(["ui", ...args], { env: ENV });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      /warning: plain http:\/\/ to (10\.0\.0\.8|hooks\.example\.com): anyone/,
    );
    assert.doesNotMatch(result.stderr, /hgt_/, "the token is not in the warning");
  }
});

for (
  const [args, reason] of [
    [["--scope", "admin"], /--scope must be read or write/],
    [["--ttl", "48h"], /capped at 24h/],
    [["--port", "70000"], /--port must be a port number/],
    [["--url", "ftp://example.com"], /--url must start with http/],
    [["--url", "https://example.com/prefix"], /--url takes only serve's origin/],
    [["--url", "https://example.com", "--port", "1"], /--url replaces --hostname and --port/],
  ] as const
) {
  Deno.test(`hookgate ui ${args.join(" ")} is a usage error (64) and prints no link`, async () => {
    const result = await runCli(["ui", ...args], { env: ENV });
    assert.equal(result.code, 64);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, reason);
  });
}

Deno.test("hookgate ui without HOOKGATE_TOKEN_SECRET exits 78 naming it, and prints no link", async () => {
  const result = await runCli(["ui"]);
  assert.equal(result.code, 78);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /HOOKGATE_TOKEN_SECRET/);
});

Deno.test("hookgate ui --help has a usage line, options, an example and the exit codes", async () => {
  const result = await runCli(["ui", "--help"]);
  assert.equal(result.code, 0);
  for (
    const part of [/^hookgate ui — /, /Usage: hookgate ui/, /Options:/, /Example:/, /Exit codes:/]
  ) {
    assert.match(result.stdout, part);
  }
});

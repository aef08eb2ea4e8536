import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import {
  issueToken,
  MAX_TOKEN_TTL_MS,
  newTokenId,
  scopeAllows,
  tokenKeyFromEnv,
  type TokenScope,
  verifyToken,
} from "../../lib/api/mod.ts";
import { importHmacKey } from "../../lib/util/mod.ts";

const SECRET = "token-key-for-tests-0123456789abcdef";
const NOW_MS = Date.UTC(2026, 10, 30, 12, 0, 0);
const TOKEN_ID = "0123456789abcdef0123456789abcdef";
const key = importHmacKey(new TextEncoder().encode(SECRET));
const notRevoked = (_tokenId: string) => Promise.resolve(false);

function issue(scope: TokenScope, ttlMs = 15 * 60_000, signingKey = key): string {
  const issued = issueToken({ scope, ttlMs, nowMs: NOW_MS, tokenId: TOKEN_ID }, signingKey);
  assert.ok(issued.ok, issued.ok ? "" : issued.reason);
  return issued.value.token;
}

function verify(header: string | null, nowMs = NOW_MS, isRevoked = notRevoked) {
  return verifyToken(header, { key, nowMs, isRevoked });
}

function b64url(bytes: Uint8Array | Buffer): string {
  return Buffer.from(bytes).toString("base64url");
}

/** Signs arbitrary claims with node:crypto: an independent peer of the implementation. */
function forge(claims: unknown, secret = SECRET): string {
  const body = b64url(new TextEncoder().encode(JSON.stringify(claims)));
  const mac = createHmac("sha256", secret).update(`hookgate-token-v1.${body}`).digest();
  return `hgt_${body}.${b64url(mac)}`;
}

for (const scope of ["read", "write"] as const) {
  Deno.test(`verifyToken() accepts a fresh ${scope} token with its scope and id`, async () => {
    const result = await verify(`Bearer ${issue(scope)}`);
    assert.deepEqual(result, {
      ok: true,
      value: { scope, tokenId: TOKEN_ID, expiresAtMs: NOW_MS + 15 * 60_000 },
    });
  });
}

Deno.test("issueToken() signs exactly what an independent HMAC-SHA256 peer computes", () => {
  const token = issue("read");
  const claims = { v: 1, scope: "read", exp: (NOW_MS + 15 * 60_000) / 1000, jti: TOKEN_ID };
  assert.equal(token, forge(claims));
});

Deno.test("verifyToken() refuses a token at and after its expiry (injected clock)", async () => {
  const header = `Bearer ${issue("write", 60_000)}`;
  assert.equal((await verify(header, NOW_MS + 59_999)).ok, true);
  assert.deepEqual(await verify(header, NOW_MS + 60_000), { ok: false, reason: "expired" });
  assert.deepEqual(await verify(header, NOW_MS + 3_600_000), { ok: false, reason: "expired" });
});

Deno.test("verifyToken() refuses a read token whose claims were edited to write", async () => {
  const token = issue("read");
  const [body, mac] = token.slice("hgt_".length).split(".") as [string, string];
  const claims = JSON.parse(new TextDecoder().decode(Buffer.from(body, "base64url")));
  const edited = b64url(new TextEncoder().encode(JSON.stringify({ ...claims, scope: "write" })));
  assert.deepEqual(await verify(`Bearer hgt_${edited}.${mac}`), {
    ok: false,
    reason: "bad_signature",
  });
});

Deno.test("verifyToken() refuses a token whose MAC was changed", async () => {
  const token = issue("read");
  const flipped = token.slice(0, -2) + (token.at(-2) === "A" ? "B" : "A") + token.at(-1);
  assert.deepEqual(await verify(`Bearer ${flipped}`), { ok: false, reason: "bad_signature" });
});

Deno.test("verifyToken() refuses a token signed under another key", async () => {
  const otherKey = importHmacKey(new TextEncoder().encode("another-key-0123456789abcdef"));
  const token = issue("write", 60_000, otherKey);
  assert.deepEqual(await verify(`Bearer ${token}`), { ok: false, reason: "bad_signature" });
});

Deno.test("issueToken() caps the lifetime at 24 hours", () => {
  const base = { scope: "read" as const, nowMs: NOW_MS, tokenId: TOKEN_ID };
  assert.equal(issueToken({ ...base, ttlMs: MAX_TOKEN_TTL_MS }, key).ok, true);
  const longer = issueToken({ ...base, ttlMs: MAX_TOKEN_TTL_MS + 1000 }, key);
  assert.equal(longer.ok, false);
  assert.match(longer.ok ? "" : longer.reason, /24h/);
});

Deno.test("verifyToken() refuses a validly signed token that claims to live longer than 24 hours", async () => {
  const exp = (NOW_MS + MAX_TOKEN_TTL_MS) / 1000 + 60;
  const token = forge({ v: 1, scope: "write", exp, jti: TOKEN_ID });
  assert.deepEqual(await verify(`Bearer ${token}`), { ok: false, reason: "bad_claims" });
});

Deno.test("verifyToken() refuses validly signed claims of the wrong shape", async () => {
  const exp = NOW_MS / 1000 + 60;
  for (
    const claims of [
      { v: 2, scope: "read", exp, jti: TOKEN_ID },
      { v: 1, scope: "admin", exp, jti: TOKEN_ID },
      { v: 1, scope: "read", exp: String(exp), jti: TOKEN_ID },
      { v: 1, scope: "read", exp, jti: "short" },
      { v: 1, scope: "read", exp, jti: TOKEN_ID, extra: true },
      ["read"],
      "read",
    ]
  ) {
    assert.deepEqual(await verify(`Bearer ${forge(claims)}`), { ok: false, reason: "bad_claims" });
  }
});

Deno.test("verifyToken() refuses a missing or malformed Authorization header", async () => {
  const token = issue("read");
  assert.deepEqual(await verify(null), { ok: false, reason: "missing" });
  assert.deepEqual(await verify(""), { ok: false, reason: "missing" });
  for (
    const header of [
      token,
      `Basic ${token}`,
      "Bearer",
      "Bearer ",
      "Bearer hgt_",
      `Bearer ${token} extra`,
      `Bearer ${token}=`,
      `Bearer ${token.replace("hgt_", "hgx_")}`,
      `Bearer ${token.slice(0, -1)}`,
      `Bearer ${token}A`,
      `Bearer ${token.replace(".", "..")}`,
      `Bearer ${token.replace(".", "")}`,
      `Bearer\t${token}`,
      `Bearer ${"A".repeat(2000)}`,
    ]
  ) {
    assert.deepEqual(await verify(header), { ok: false, reason: "malformed" }, header);
  }
});

Deno.test("verifyToken() accepts the scheme name in any case (RFC 6750)", async () => {
  assert.equal((await verify(`bearer ${issue("read")}`)).ok, true);
});

Deno.test("verifyToken() refuses a revoked token, and asks about revocation only for a genuine one", async () => {
  const asked: string[] = [];
  const isRevoked = (id: string) => {
    asked.push(id);
    return Promise.resolve(id === TOKEN_ID);
  };
  assert.deepEqual(await verify(`Bearer ${issue("write")}`, NOW_MS, isRevoked), {
    ok: false,
    reason: "revoked",
  });
  const forged = forge({ v: 1, scope: "write", exp: NOW_MS / 1000 + 60, jti: TOKEN_ID }, "wrong");
  await verify(`Bearer ${forged}`, NOW_MS, isRevoked);
  assert.deepEqual(asked, [TOKEN_ID]);
});

Deno.test("scopeAllows(): write implies read, read does not imply write", () => {
  assert.equal(scopeAllows("read", "read"), true);
  assert.equal(scopeAllows("write", "read"), true);
  assert.equal(scopeAllows("write", "write"), true);
  assert.equal(scopeAllows("read", "write"), false);
});

Deno.test("newTokenId() makes distinct 128-bit hex ids", () => {
  const ids = new Set(Array.from({ length: 100 }, newTokenId));
  assert.equal(ids.size, 100);
  for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
});

Deno.test("tokenKeyFromEnv() needs HOOKGATE_TOKEN_SECRET and names it, never the value", () => {
  const missing = tokenKeyFromEnv({});
  assert.equal(missing.ok, false);
  assert.match(
    missing.ok ? "" : missing.reason,
    /HOOKGATE_TOKEN_SECRET is not set.*hookgate init/,
  );
  const short = tokenKeyFromEnv({ HOOKGATE_TOKEN_SECRET: "short-value" });
  assert.equal(short.ok, false);
  assert.equal((short.ok ? "" : short.reason).includes("short-value"), false);
});

Deno.test("tokenKeyFromEnv() refuses a long but guessable token key, naming it and never the value", () => {
  for (
    const weak of ["aaaaaaaaaaaaaaaa", "abababababababababababababababab", "1234567".repeat(4)]
  ) {
    const result = tokenKeyFromEnv({ HOOKGATE_TOKEN_SECRET: weak });
    assert.equal(result.ok, false, weak);
    assert.match(result.ok ? "" : result.reason, /HOOKGATE_TOKEN_SECRET repeats fewer than 8/);
    assert.equal((result.ok ? "" : result.reason).includes(weak), false);
  }
});

Deno.test("tokenKeyFromEnv() refuses a token key equal to the webhook secret", () => {
  const result = tokenKeyFromEnv({ HOOKGATE_TOKEN_SECRET: SECRET, WEBHOOK_SECRET: SECRET });
  assert.equal(result.ok, false);
  assert.match(result.ok ? "" : result.reason, /must differ from WEBHOOK_SECRET/);
  assert.equal((result.ok ? "" : result.reason).includes(SECRET), false);
});

Deno.test("tokenKeyFromEnv() refuses a token key equal to a route's secret or a previous one", () => {
  const routes = {
    HOOKGATE_ROUTES: "/gh=github:GH_HOOK_SECRET",
    WEBHOOK_SECRET: "unrelated-0123456789abcdef",
  };
  const asRoute = tokenKeyFromEnv({
    ...routes,
    HOOKGATE_TOKEN_SECRET: SECRET,
    GH_HOOK_SECRET: SECRET,
  });
  assert.equal(asRoute.ok, false);
  assert.match(asRoute.ok ? "" : asRoute.reason, /must differ from .*the secret of every route/);
  assert.equal((asRoute.ok ? "" : asRoute.reason).includes(SECRET), false);
  const asFlag = tokenKeyFromEnv(
    { HOOKGATE_TOKEN_SECRET: SECRET, MY_HOOK: SECRET },
    { routeSpecs: ["/hook=hookgate:MY_HOOK"] },
  );
  assert.equal(asFlag.ok, false);
  assert.match(asFlag.ok ? "" : asFlag.reason, /must differ from .*the secret of every route/);
  assert.equal((asFlag.ok ? "" : asFlag.reason).includes(SECRET), false);
  const asPrevious = tokenKeyFromEnv({
    HOOKGATE_TOKEN_SECRET: SECRET,
    WEBHOOK_SECRET: "current-webhook-secret-0123456789",
    WEBHOOK_SECRET_PREVIOUS: `${SECRET}@2099-01-01T00:00:00Z`,
  });
  assert.equal(asPrevious.ok, false);
  assert.match(
    asPrevious.ok ? "" : asPrevious.reason,
    /must differ from .*the secret of every route/,
  );
  assert.equal((asPrevious.ok ? "" : asPrevious.reason).includes(SECRET), false);
  const apart = tokenKeyFromEnv({
    ...routes,
    HOOKGATE_TOKEN_SECRET: SECRET,
    GH_HOOK_SECRET: "gh-0123456789abcdef0123",
  });
  assert.equal(apart.ok, true);
});

Deno.test("tokenKeyFromEnv() refuses a token key that is a route's whsec_ secret spelt without its prefix, or with it", () => {
  // A Standard Webhooks sender holds `whsec_<base64>`, and the route verifies with either
  // spelling: a token key written the other way is a key that sender can mint tokens with.
  const base64 = btoa("standard-route-key-0123456789abcdef");
  const bare = tokenKeyFromEnv({
    HOOKGATE_ROUTES: "/svix=standard:SVIX_SECRET",
    SVIX_SECRET: `whsec_${base64}`,
    HOOKGATE_TOKEN_SECRET: base64,
  });
  assert.equal(bare.ok, false);
  assert.match(bare.ok ? "" : bare.reason, /must differ from .*the secret of every route/);
  assert.equal((bare.ok ? "" : bare.reason).includes(base64), false);
  const prefixed = tokenKeyFromEnv({
    HOOKGATE_ROUTES: "/svix=standard:SVIX_SECRET",
    SVIX_SECRET: base64,
    HOOKGATE_TOKEN_SECRET: `whsec_${base64}`,
  });
  assert.equal(prefixed.ok, false);
  assert.match(prefixed.ok ? "" : prefixed.reason, /must differ from .*the secret of every route/);
});

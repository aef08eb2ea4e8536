import assert from "node:assert/strict";
import { hmacSha256, importHmacKey, toHex, utf8 } from "../../lib/util/mod.ts";
import {
  activeKeys,
  activeSecrets,
  buildRoutes,
  formatExpiry,
  formatPreviousSecrets,
  parsePreviousSecrets,
  rotateEnvText,
  verifyDelivery,
} from "../../lib/receive/mod.ts";
import { hookgateScheme } from "../../lib/schemes/mod.ts";

const CURRENT = "current-secret-0123456789abcdef";
const OLD = "old-secret-0123456789abcdefghij";
const OLDER = "older-secret-0123456789abcdefgh";
const EXPIRY = "2026-12-01T18:00:00Z";
const EXPIRY_MS = Date.parse(EXPIRY);

Deno.test("parsePreviousSecrets() reads comma-separated SECRET@EXPIRY entries", () => {
  const parsed = parsePreviousSecrets(
    "WEBHOOK_SECRET",
    `${OLD}@${EXPIRY}, ${OLDER}@2026-11-30T00:00:00Z`,
  );
  assert.deepEqual(parsed, {
    ok: true,
    value: [
      { secret: OLD, expiresAtMs: EXPIRY_MS },
      { secret: OLDER, expiresAtMs: Date.parse("2026-11-30T00:00:00Z") },
    ],
  });
});

Deno.test("parsePreviousSecrets() splits at the last '@', so a secret may contain one", () => {
  const parsed = parsePreviousSecrets("S", `user@example-secret-0123@${EXPIRY}`);
  assert.ok(parsed.ok);
  assert.equal(parsed.value[0]?.secret, "user@example-secret-0123");
});

Deno.test("formatPreviousSecrets() round-trips through parsePreviousSecrets()", () => {
  const previous = [{ secret: OLD, expiresAtMs: EXPIRY_MS }, { secret: OLDER, expiresAtMs: 0 }];
  assert.deepEqual(parsePreviousSecrets("S", formatPreviousSecrets(previous)), {
    ok: true,
    value: previous,
  });
});

Deno.test("formatExpiry() drops milliseconds so the parser's one form is what is written", () => {
  assert.equal(formatExpiry(EXPIRY_MS + 999), EXPIRY);
});

const BAD_LISTS: Array<[string, string]> = [
  ["no expiry", OLD],
  ["empty secret", `@${EXPIRY}`],
  ["local time without Z", `${OLD}@2026-12-01T18:00:00`],
  ["a date only", `${OLD}@2026-12-01`],
  ["milliseconds", `${OLD}@2026-12-01T18:00:00.000Z`],
  ["an impossible date", `${OLD}@2026-02-31T18:00:00Z`],
  ["an empty entry", `${OLD}@${EXPIRY},,${OLDER}@${EXPIRY}`],
  ["a short secret", `short@${EXPIRY}`],
];

for (const [label, raw] of BAD_LISTS) {
  Deno.test(`parsePreviousSecrets() refuses ${label}, naming the variable but not the value`, () => {
    const parsed = parsePreviousSecrets("WEBHOOK_SECRET", raw);
    assert.equal(parsed.ok, false);
    assert.ok(!parsed.ok);
    assert.match(parsed.reason, /WEBHOOK_SECRET_PREVIOUS entry \d/);
    assert.ok(!parsed.reason.includes(OLD) && !parsed.reason.includes("short@"));
  });
}

Deno.test("activeSecrets() lists the current secret first, then unexpired previous ones", () => {
  const env = {
    WEBHOOK_SECRET: CURRENT,
    WEBHOOK_SECRET_PREVIOUS: `${OLD}@${EXPIRY},${OLDER}@2026-11-30T00:00:00Z`,
  };
  assert.deepEqual(activeSecrets(env, "WEBHOOK_SECRET", { nowMs: EXPIRY_MS - 1 }), {
    ok: true,
    value: [CURRENT, OLD],
  });
  assert.deepEqual(activeSecrets(env, "WEBHOOK_SECRET", { nowMs: EXPIRY_MS }), {
    ok: true,
    value: [CURRENT],
  });
});

Deno.test("activeSecrets() fails when the current secret is missing, even with previous ones", () => {
  const result = activeSecrets({ WEBHOOK_SECRET_PREVIOUS: `${OLD}@${EXPIRY}` }, "WEBHOOK_SECRET", {
    nowMs: 0,
  });
  assert.ok(!result.ok);
  assert.match(result.reason, /WEBHOOK_SECRET is not set/);
});

function signedWith(secret: string, ts: number) {
  const body = utf8('{"id":"e1"}');
  const mac = hmacSha256(importHmacKey(utf8(secret)), utf8(`${ts}.{"id":"e1"}`));
  return { headers: new Headers({ "x-timestamp": String(ts), "x-signature": toHex(mac) }), body };
}

Deno.test("a route verifies the old secret before its expiry and refuses it after (injected clock)", async () => {
  const env = { WEBHOOK_SECRET: CURRENT, WEBHOOK_SECRET_PREVIOUS: `${OLD}@${EXPIRY}` };
  const built = buildRoutes(env, {
    toleranceSeconds: 300,
    routeSpecs: [],
    nowMs: EXPIRY_MS - 3_600_000,
  });
  assert.ok(built.ok);
  const route = built.value[0];
  assert.ok(route);
  const verdictAt = (nowMs: number) => {
    const ts = Math.floor(nowMs / 1000);
    const delivery = signedWith(OLD, ts);
    return verifyDelivery(
      { scheme: hookgateScheme, keys: activeKeys(route, nowMs), ...delivery },
      { nowSeconds: ts, toleranceSeconds: 300 },
    );
  };
  assert.equal((await verdictAt(EXPIRY_MS - 1000)).ok, true);
  assert.deepEqual(await verdictAt(EXPIRY_MS), { ok: false, reason: "bad signature" });
  // The current secret is unaffected by the old one's expiry.
  const ts = Math.floor(EXPIRY_MS / 1000) + 10;
  const current = verifyDelivery(
    {
      scheme: hookgateScheme,
      keys: activeKeys(route, EXPIRY_MS + 10_000),
      ...signedWith(CURRENT, ts),
    },
    { nowSeconds: ts, toleranceSeconds: 300 },
  );
  assert.equal(current.ok, true);
});

Deno.test("buildRoutes() leaves out previous secrets that already expired at start-up", () => {
  const env = { WEBHOOK_SECRET: CURRENT, WEBHOOK_SECRET_PREVIOUS: `${OLD}@${EXPIRY}` };
  const built = buildRoutes(env, { toleranceSeconds: 300, routeSpecs: [], nowMs: EXPIRY_MS });
  assert.ok(built.ok);
  assert.equal(built.value[0]?.keys.length, 1);
});

Deno.test("activeKeys() shares one frozen list between requests when no key of the route expires", () => {
  const built = buildRoutes({ WEBHOOK_SECRET: CURRENT }, {
    toleranceSeconds: 300,
    routeSpecs: [],
    nowMs: EXPIRY_MS,
  });
  assert.ok(built.ok);
  const route = built.value[0];
  assert.ok(route);
  const first = activeKeys(route, EXPIRY_MS);
  assert.equal(first.length, 1);
  // The same list at any time, not a copy per request; frozen, so no request can change it.
  assert.equal(activeKeys(route, EXPIRY_MS + 86_400_000), first);
  assert.ok(Object.isFrozen(first));
});

Deno.test("rotateEnvText() gives the replaced secret only its new expiry, also when it was listed already", () => {
  // The current secret was listed in _PREVIOUS (rolled back to by hand) with a later expiry.
  const later = "2031-01-01T00:00:00Z";
  const text = `X=${CURRENT}\nX_PREVIOUS=${CURRENT}@${later},${OLD}@${later}\n`;
  const nowMs = Date.parse("2030-01-01T00:00:00Z");
  const rotated = rotateEnvText(text, {
    varName: "X",
    newSecret: "new-secret-0123456789abcdefghij",
    graceMs: 3_600_000,
    nowMs,
  });
  if (!rotated.ok) throw new Error(rotated.reason);
  const hourLater = nowMs + 3_600_000;
  assert.equal(rotated.value.expiresAtMs, hourLater);
  const env = { X: "new-secret-0123456789abcdefghij", X_PREVIOUS: "" };
  Object.assign(env, { X_PREVIOUS: /X_PREVIOUS=(.*)/.exec(rotated.value.text)?.[1] });
  const afterExpiry = activeSecrets(env, "X", { nowMs: hourLater });
  assert.deepEqual(afterExpiry, { ok: true, value: ["new-secret-0123456789abcdefghij", OLD] });
});

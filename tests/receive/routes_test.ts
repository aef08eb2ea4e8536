import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import {
  activeKeys,
  buildRoutes,
  parseRouteSpec,
  routeSecretValues,
  UNTIMESTAMPED_RETENTION_MS,
} from "../../lib/receive/mod.ts";
import { verifyHmacSha256 } from "../../lib/util/mod.ts";

const SECRET = "route-secret-0123456789abcdef";
const STANDARD = "whsec_" + btoa("standard secret, 32 bytes long!!");
const ENV = {
  WEBHOOK_SECRET: SECRET,
  GITHUB_WEBHOOK_SECRET: "github-secret-0123456789abcdef",
  SVIX_SECRET: STANDARD,
  STRIPE_WEBHOOK_SECRET: "whsec_stripe_0123456789abcdef",
};
const NOW_MS = Date.parse("2026-12-01T00:00:00Z");

function build(routeSpecs: string[], env: Record<string, string> = ENV) {
  return buildRoutes(env, { toleranceSeconds: 300, routeSpecs, nowMs: NOW_MS });
}

Deno.test("buildRoutes() defaults to /webhook=hookgate:WEBHOOK_SECRET", async () => {
  const routes = await build([]);
  assert.ok(routes.ok);
  assert.deepEqual(
    routes.value.map((r) => [r.path, r.name, r.scheme.name, r.secretVar, r.retentionMs]),
    [["/webhook", "webhook", "hookgate", "WEBHOOK_SECRET", 600_000]],
  );
});

Deno.test("buildRoutes() builds one route per --route spec, each with its own scheme and secret", async () => {
  const routes = await build([
    "/github=github:GITHUB_WEBHOOK_SECRET",
    "/hooks/svix=standard:SVIX_SECRET",
    "/stripe=stripe:STRIPE_WEBHOOK_SECRET",
  ]);
  assert.ok(routes.ok);
  assert.deepEqual(
    routes.value.map((r) => [r.path, r.name, r.scheme.name, r.secretVar]),
    [
      ["/github", "github", "github", "GITHUB_WEBHOOK_SECRET"],
      ["/hooks/svix", "hooks-svix", "standard", "SVIX_SECRET"],
      ["/stripe", "stripe", "stripe", "STRIPE_WEBHOOK_SECRET"],
    ],
  );
});

Deno.test("buildRoutes() keeps GitHub event keys 7 days (3-day manual redelivery), others 2 x tolerance", async () => {
  const routes = await build([
    "/gh=github:GITHUB_WEBHOOK_SECRET",
    "/s=stripe:STRIPE_WEBHOOK_SECRET",
  ]);
  assert.ok(routes.ok);
  assert.equal(routes.value[0]?.retentionMs, UNTIMESTAMPED_RETENTION_MS);
  assert.equal(UNTIMESTAMPED_RETENTION_MS, 7 * 86_400_000);
  assert.equal(routes.value[1]?.retentionMs, 600_000);
});

Deno.test("buildRoutes() reads HOOKGATE_ROUTES (comma-separated) when no --route is given", async () => {
  const env = {
    ...ENV,
    HOOKGATE_ROUTES: "/a=hookgate:WEBHOOK_SECRET, /b=github:GITHUB_WEBHOOK_SECRET",
  };
  const routes = await build([], env);
  assert.ok(routes.ok);
  assert.deepEqual(routes.value.map((r) => r.path), ["/a", "/b"]);
});

Deno.test("buildRoutes() lets --route replace HOOKGATE_ROUTES", async () => {
  const env = { ...ENV, HOOKGATE_ROUTES: "/a=hookgate:WEBHOOK_SECRET" };
  const routes = await build(["/c=hookgate:WEBHOOK_SECRET"], env);
  assert.ok(routes.ok);
  assert.deepEqual(routes.value.map((r) => r.path), ["/c"]);
});

Deno.test("buildRoutes() fails naming the route's variable when its secret is missing", async () => {
  const routes = await build(["/gh=github:MISSING_SECRET"]);
  assert.deepEqual(routes, {
    ok: false,
    reason: "MISSING_SECRET is not set: run 'hookgate init' or add it to .env",
  });
});

Deno.test("buildRoutes() fails on a short secret without printing it", async () => {
  const routes = await build(["/gh=github:SHORT"], { ...ENV, SHORT: "tiny-secret" });
  assert.ok(!routes.ok);
  assert.match(routes.reason, /SHORT is shorter than 16 bytes/);
  assert.ok(!routes.reason.includes("tiny-secret"));
});

Deno.test("buildRoutes() fails when a standard route's secret is not whsec_ base64", async () => {
  const routes = await build(["/s=standard:WEBHOOK_SECRET"]);
  assert.ok(!routes.ok);
  assert.match(routes.reason, /route \/s \(standard\): WEBHOOK_SECRET must be 'whsec_'/);
  assert.ok(!routes.reason.includes(SECRET));
});

Deno.test("buildRoutes() fails on a malformed WEBHOOK_SECRET_PREVIOUS", async () => {
  const routes = await build([], {
    ...ENV,
    WEBHOOK_SECRET_PREVIOUS: "old-secret-0123456789abcdef",
  });
  assert.ok(!routes.ok);
  assert.match(routes.reason, /WEBHOOK_SECRET_PREVIOUS entry 1 of 1/);
});

Deno.test("buildRoutes() refuses two specs for one path, and paths that share a namespace", async () => {
  const same = await build(["/a=hookgate:WEBHOOK_SECRET", "/a=github:GITHUB_WEBHOOK_SECRET"]);
  assert.ok(!same.ok);
  assert.match(same.reason, /'\/a' is given twice/);
  const clash = await build(["/a/b=hookgate:WEBHOOK_SECRET", "/a-b=hookgate:WEBHOOK_SECRET"]);
  assert.ok(!clash.ok);
  assert.match(clash.reason, /replay namespace 'a-b'/);
});

Deno.test("buildRoutes() refuses two routes that share a secret: a delivery to one would verify on the other", async () => {
  const sameVar = await build(["/a=hookgate:WEBHOOK_SECRET", "/b=hookgate:WEBHOOK_SECRET"]);
  assert.ok(!sameVar.ok);
  assert.match(sameVar.reason, /routes \/a and \/b share a secret \(WEBHOOK_SECRET\)/);
  assert.ok(!sameVar.reason.includes(SECRET));
  // hookgate and Stripe sign the same text (`<ts>.` + body) the same way: one captured
  // delivery would be accepted once per route.
  const sameValue = await build(["/a=hookgate:WEBHOOK_SECRET", "/s=stripe:STRIPE_WEBHOOK_SECRET"], {
    ...ENV,
    STRIPE_WEBHOOK_SECRET: SECRET,
  });
  assert.ok(!sameValue.ok);
  assert.match(
    sameValue.reason,
    /\/a and \/s share a secret \(WEBHOOK_SECRET, STRIPE_WEBHOOK_SECRET\)/,
  );
  assert.ok(!sameValue.reason.includes(SECRET));
});

Deno.test("buildRoutes() refuses a route whose unexpired previous secret is another route's", async () => {
  const env = { ...ENV, GITHUB_WEBHOOK_SECRET_PREVIOUS: `${SECRET}@2999-01-01T00:00:00Z` };
  const shared = await build(
    ["/a=hookgate:WEBHOOK_SECRET", "/gh=github:GITHUB_WEBHOOK_SECRET"],
    env,
  );
  assert.ok(!shared.ok);
  assert.match(shared.reason, /share a secret \(WEBHOOK_SECRET, GITHUB_WEBHOOK_SECRET_PREVIOUS\)/);
  // An expired one verifies nothing, so it shares nothing.
  const expired = await build(["/a=hookgate:WEBHOOK_SECRET", "/gh=github:GITHUB_WEBHOOK_SECRET"], {
    ...ENV,
    GITHUB_WEBHOOK_SECRET_PREVIOUS: `${SECRET}@2020-01-01T00:00:00Z`,
  });
  assert.ok(expired.ok);
});

Deno.test("buildRoutes() lets a route's unexpired previous secret equal its current one, and the current one outlives it", async () => {
  const expiresAtMs = Date.parse("2027-01-01T00:00:00Z");
  const routes = await build([], {
    ...ENV,
    WEBHOOK_SECRET_PREVIOUS: `${SECRET}@2027-01-01T00:00:00Z`,
  });
  assert.ok(routes.ok, routes.ok ? "" : routes.reason);
  const [route] = routes.value;
  assert.ok(route);
  // After the previous entry's expiry the route still verifies what the secret signs.
  const signed = new TextEncoder().encode("1764590400.{}");
  const mac = new Uint8Array(createHmac("sha256", SECRET).update(signed).digest());
  for (const nowMs of [NOW_MS, expiresAtMs + 1]) {
    const keys = activeKeys(route, nowMs);
    assert.ok(keys.length >= 1, `no key at ${new Date(nowMs).toISOString()}`);
    const verified = await Promise.all(
      keys.map((key) => verifyHmacSha256(key, mac, signed)),
    );
    assert.ok(verified.includes(true), `nothing verifies at ${new Date(nowMs).toISOString()}`);
  }
});

Deno.test("buildRoutes() compares key bytes: one key given as whsec_ base64, bare base64 or raw text is one secret", async () => {
  const raw = "standard secret, 32 bytes long!!";
  const base64 = btoa(raw);
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    [
      "with and without whsec_",
      ["/svix=standard:SVIX_SECRET", "/other=standard:OTHER_SECRET"],
      { SVIX_SECRET: `whsec_${base64}`, OTHER_SECRET: base64 },
      /routes \/svix and \/other share a secret \(SVIX_SECRET, OTHER_SECRET\)/,
    ],
    [
      "decoded by one scheme, raw text for the other",
      ["/svix=standard:SVIX_SECRET", "/a=hookgate:WEBHOOK_SECRET"],
      { SVIX_SECRET: `whsec_${base64}`, WEBHOOK_SECRET: raw },
      /routes \/svix and \/a share a secret \(SVIX_SECRET, WEBHOOK_SECRET\)/,
    ],
  ];
  for (const [label, specs, secrets, message] of cases) {
    const routes = await build(specs, { ...ENV, ...secrets });
    assert.ok(!routes.ok, label);
    assert.match(routes.reason, message, label);
    assert.ok(!routes.reason.includes(base64) && !routes.reason.includes(raw), label);
  }
  // One route holding its key in both spellings shares it with no other route.
  const own = await build(["/svix=standard:SVIX_SECRET"], {
    ...ENV,
    SVIX_SECRET: `whsec_${base64}`,
    SVIX_SECRET_PREVIOUS: `${base64}@2999-01-01T00:00:00Z`,
  });
  assert.ok(own.ok, own.ok ? "" : own.reason);
  // The same text is two keys when one scheme decodes it and the other signs with its
  // characters: neither route verifies what is signed for the other.
  const twoKeys = await build(["/svix=standard:SVIX_SECRET", "/a=hookgate:WEBHOOK_SECRET"], {
    ...ENV,
    SVIX_SECRET: `whsec_${base64}`,
    WEBHOOK_SECRET: base64,
  });
  assert.ok(twoKeys.ok, twoKeys.ok ? "" : twoKeys.reason);
});

const BAD_SPECS: Array<[string, string, RegExp]> = [
  ["no '='", "/webhook:hookgate:WEBHOOK_SECRET", /must be PATH=SCHEME:SECRET_VAR/],
  ["no scheme", "/webhook=WEBHOOK_SECRET", /must be PATH=SCHEME:SECRET_VAR/],
  ["a relative path", "webhook=hookgate:WEBHOOK_SECRET", /must be PATH=SCHEME:SECRET_VAR/],
  ["a variable with a dash", "/w=hookgate:WEBHOOK-SECRET", /must be PATH=SCHEME:SECRET_VAR/],
  ["a query in the path", "/w?x=1=hookgate:WEBHOOK_SECRET", /must be PATH=SCHEME:SECRET_VAR/],
  ["an empty spec", "", /must be PATH=SCHEME:SECRET_VAR/],
  ["a '..' segment", "/a/../b=hookgate:WEBHOOK_SECRET", /'\.\.' segments/],
  ["a '//'", "/a//b=hookgate:WEBHOOK_SECRET", /'\/\/'/],
  ["a trailing slash", "/a/=hookgate:WEBHOOK_SECRET", /end in '\/'/],
  // serve answers these paths itself: a route there would never receive a delivery (the
  // inspection API answers every /events request 401 without a bearer token) or would turn
  // the health check into a 405.
  ["the inspection API's path", "/events=hookgate:WEBHOOK_SECRET", /serve's own/],
  ["a path under the inspection API", "/events/stripe=stripe:STRIPE_SECRET", /serve's own/],
  ["the health check's path", "/healthz=hookgate:WEBHOOK_SECRET", /serve's own/],
  [
    "an unknown scheme",
    "/w=gitlab:WEBHOOK_SECRET",
    /unknown scheme 'gitlab' .*; use one of hookgate, standard, github, stripe/,
  ],
];

for (const [label, spec, message] of BAD_SPECS) {
  Deno.test(`parseRouteSpec() refuses ${label}`, () => {
    const parsed = parseRouteSpec(spec, { source: "--route" });
    assert.ok(!parsed.ok);
    assert.match(parsed.reason, message);
    assert.match(parsed.reason, /--route/);
  });
}

Deno.test("buildRoutes() names HOOKGATE_ROUTES when the bad spec came from it", async () => {
  const routes = await build([], { ...ENV, HOOKGATE_ROUTES: "/a=hookgate:WEBHOOK_SECRET,," });
  assert.ok(!routes.ok);
  assert.match(routes.reason, /^HOOKGATE_ROUTES '' must be PATH=SCHEME:SECRET_VAR/);
});

Deno.test("routeSecretValues() lists every route's current and previous secrets for the redactor", () => {
  const env = {
    ...ENV,
    MY_HOOK: "not-a-secret-looking-name-0123",
    MY_HOOK_PREVIOUS: "older-value-of-my-hook-0123@2999-01-01T00:00:00Z",
  };
  assert.deepEqual(routeSecretValues(env, ["/a=github:MY_HOOK", "/b=hookgate:WEBHOOK_SECRET"]), [
    "not-a-secret-looking-name-0123",
    "older-value-of-my-hook-0123",
    SECRET,
  ]);
});

Deno.test("routeSecretValues() still lists a route's secrets when the set-up is one serve refuses", () => {
  const env = {
    ...ENV,
    // A trailing comma (an empty spec), a weak secret and a malformed _PREVIOUS entry.
    HOOKGATE_ROUTES: "/a=github:MY_HOOK,/b=stripe:SHORT_HOOK,",
    MY_HOOK: "not-a-secret-looking-name-0123",
    MY_HOOK_PREVIOUS: "older-value-of-my-hook-0123@2999-1-01",
    SHORT_HOOK: "short-hook",
    FLAG_HOOK: "given-with-the-route-flag-0123",
  };
  assert.deepEqual(routeSecretValues(env, ["/c=hookgate:FLAG_HOOK"]), [
    "given-with-the-route-flag-0123",
    "not-a-secret-looking-name-0123",
    "older-value-of-my-hook-0123",
    "short-hook",
  ]);
});

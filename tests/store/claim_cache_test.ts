import assert from "node:assert/strict";
import { ClaimCache } from "../../lib/store/claim_cache.ts";

Deno.test("ClaimCache holds a remembered claim until it expires, and only on its own route", () => {
  const cache = new ClaimCache();
  cache.remember({ route: "webhook", key: "id:e1" }, 2_000);
  assert.equal(cache.holds({ route: "webhook", key: "id:e1" }, 1_999), true);
  assert.equal(cache.holds({ route: "webhook", key: "id:e1" }, 2_000), false);
  // The same id on another route is another event.
  assert.equal(cache.holds({ route: "github", key: "id:e1" }, 1_000), false);
  assert.equal(cache.holds({ route: "webhook", key: "id:e2" }, 1_000), false);
});

Deno.test("ClaimCache keeps at most its bound across routes, always the newest half of it", () => {
  const cache = new ClaimCache(4);
  const claims = Array.from(
    { length: 11 },
    (_, i) => ({ route: i % 2 ? "a" : "b", key: `id:${i}` }),
  );
  claims.forEach((claim, i) => {
    cache.remember(claim, 9_000);
    assert.ok(cache.size <= 4, `size ${cache.size} after ${i + 1} claims`);
    for (const recent of claims.slice(Math.max(0, i - 1), i + 1)) {
      assert.equal(cache.holds(recent, 0), true, `${recent.key} after ${i + 1} claims`);
    }
  });
  // The oldest are forgotten first: an older replay costs a store read, not a wrong answer.
  for (const old of claims.slice(0, 6)) assert.equal(cache.holds(old, 0), false, old.key);
});

Deno.test("ClaimCache counts a claim remembered again once, and keeps it as a new one", () => {
  const cache = new ClaimCache(4);
  cache.remember({ route: "a", key: "id:1" }, 9_000);
  cache.remember({ route: "a", key: "id:2" }, 9_000);
  cache.remember({ route: "a", key: "id:1" }, 9_500);
  assert.equal(cache.size, 2);
  cache.remember({ route: "b", key: "id:1" }, 9_000);
  cache.remember({ route: "b", key: "id:2" }, 9_000);
  assert.equal(
    cache.holds({ route: "a", key: "id:1" }, 9_400),
    true,
    "renewed, with its new expiry",
  );
  assert.equal(cache.holds({ route: "a", key: "id:2" }, 0), false, "the oldest went");
  assert.equal(cache.size, 3);
});

import assert from "node:assert/strict";
import { ClaimCache } from "../../../lib/store/kv/claim_cache.ts";

Deno.test("ClaimCache holds a remembered claim until it expires, and only on its own route", () => {
  const cache = new ClaimCache();
  cache.remember({ route: "webhook", key: "id:e1" }, 2_000);
  assert.equal(cache.holds({ route: "webhook", key: "id:e1" }, 1_999), true);
  assert.equal(cache.holds({ route: "webhook", key: "id:e1" }, 2_000), false);
  // The same id on another route is another event.
  assert.equal(cache.holds({ route: "github", key: "id:e1" }, 1_000), false);
  assert.equal(cache.holds({ route: "webhook", key: "id:e2" }, 1_000), false);
});

Deno.test("ClaimCache keeps at most its bound across routes, forgetting the oldest claim first", () => {
  const cache = new ClaimCache(3);
  cache.remember({ route: "a", key: "id:1" }, 9_000);
  cache.remember({ route: "a", key: "id:2" }, 9_000);
  cache.remember({ route: "b", key: "id:1" }, 9_000);
  // Remembering a claim again renews it without counting it twice.
  cache.remember({ route: "a", key: "id:1" }, 9_500);
  assert.equal(cache.size, 3);
  cache.remember({ route: "a", key: "id:3" }, 9_000);
  assert.equal(cache.size, 3);
  assert.equal(cache.holds({ route: "a", key: "id:2" }, 0), false, "route a's oldest went");
  for (const [route, key] of [["a", "id:1"], ["a", "id:3"], ["b", "id:1"]]) {
    assert.equal(cache.holds({ route: route!, key: key! }, 0), true, `${route} ${key}`);
  }
});

Deno.test("ClaimCache keeps a new route's first claim when the bound is reached, forgetting the oldest", () => {
  const cache = new ClaimCache(2);
  cache.remember({ route: "a", key: "id:1" }, 9_000);
  cache.remember({ route: "a", key: "id:2" }, 9_000);
  cache.remember({ route: "b", key: "id:1" }, 9_000);
  assert.equal(cache.size, 2);
  assert.equal(cache.holds({ route: "b", key: "id:1" }, 0), true);
  assert.equal(cache.holds({ route: "a", key: "id:1" }, 0), false);
  assert.equal(cache.holds({ route: "a", key: "id:2" }, 0), true);
});

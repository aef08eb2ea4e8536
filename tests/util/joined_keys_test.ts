import assert from "node:assert/strict";
import { keyJoiner } from "../../lib/util/mod.ts";

Deno.test("keyJoiner() joins prefix, first and second with a space, the same text for the same pair", () => {
  const join = keyJoiner("request ");
  assert.equal(join(401, "bad signature"), "request 401 bad signature");
  assert.equal(join(401, "bad signature"), "request 401 bad signature");
  assert.equal(join(404, "bad signature"), "request 404 bad signature");
  assert.equal(join("401", "not found"), "request 401 not found");
  assert.equal(keyJoiner()(200, "duplicate"), "200 duplicate");
});

Deno.test("keyJoiner() past its limit still joins every pair right, it only stops remembering", () => {
  const join = keyJoiner("", 2);
  const pairs = Array.from({ length: 6 }, (_, i) => [i, `reason ${i % 3}`] as const);
  for (let round = 0; round < 2; round++) {
    for (const [first, second] of pairs) assert.equal(join(first, second), `${first} ${second}`);
  }
});

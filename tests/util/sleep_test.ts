import assert from "node:assert/strict";
import { sleep } from "../../lib/util/mod.ts";

Deno.test("sleep() resolves at once when its signal aborts, leaving no timer behind", async () => {
  const controller = new AbortController();
  const started = performance.now();
  const sleeping = sleep(60_000, controller.signal);
  controller.abort();
  await sleeping;
  assert.ok(performance.now() - started < 1_000);
});

Deno.test("sleep() with an already aborted signal resolves at once", async () => {
  // Without the guard a sleep that ignored the signal would only make the test slow, not fail.
  let guard: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    sleep(60_000, AbortSignal.abort()).then(() => "resolved"),
    new Promise<string>((resolve) => guard = setTimeout(() => resolve("still asleep"), 5_000)),
  ]);
  clearTimeout(guard);
  assert.equal(outcome, "resolved");
});

Deno.test("sleep() waits about the time it is given", async () => {
  const started = performance.now();
  await sleep(20);
  assert.ok(performance.now() - started >= 15);
});

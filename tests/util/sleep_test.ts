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
  await sleep(60_000, AbortSignal.abort());
});

Deno.test("sleep() waits about the time it is given", async () => {
  const started = performance.now();
  await sleep(20);
  assert.ok(performance.now() - started >= 15);
});

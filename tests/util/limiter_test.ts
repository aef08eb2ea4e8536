import assert from "node:assert/strict";
import { createLimiter } from "../../lib/util/mod.ts";

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => resolve = r);
  return { promise, resolve };
}

Deno.test("createLimiter() never runs more than its limit at once, and starts waiters in order", async () => {
  const limiter = createLimiter(2);
  const gates = [deferred(), deferred(), deferred(), deferred()];
  const started: number[] = [];
  let peak = 0;
  const runs = gates.map((gate, i) =>
    limiter.run(async () => {
      started.push(i);
      peak = Math.max(peak, limiter.running);
      await gate.promise;
      return i;
    })
  );
  await Promise.resolve();
  assert.deepEqual(started, [0, 1]);
  assert.equal(limiter.waiting, 2);
  gates[1]!.resolve();
  await runs[1];
  await Promise.resolve();
  assert.deepEqual(started, [0, 1, 2]);
  for (const gate of gates) gate.resolve();
  assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3]);
  assert.equal(peak, 2);
});

Deno.test("createLimiter() frees the slot of a task that throws, and passes the error on", async () => {
  const limiter = createLimiter(1);
  await assert.rejects(limiter.run(() => Promise.reject(new Error("boom"))), /boom/);
  await assert.rejects(
    limiter.run(() => {
      throw new Error("sync boom");
    }),
    /sync boom/,
  );
  assert.equal(await limiter.run(() => Promise.resolve("next")), "next");
  assert.equal(limiter.running, 0);
});

Deno.test("idle() resolves only when nothing runs or waits", async () => {
  const limiter = createLimiter(1);
  await limiter.idle();
  const gate = deferred();
  const first = limiter.run(() => gate.promise);
  const second = limiter.run(() => Promise.resolve());
  let idle = false;
  const waiting = limiter.idle().then(() => idle = true);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(idle, false);
  gate.resolve();
  await Promise.all([first, second, waiting]);
  assert.equal(idle, true);
});

Deno.test("createLimiter() refuses a limit that is not a positive integer", () => {
  assert.throws(() => createLimiter(0), RangeError);
  assert.throws(() => createLimiter(1.5), RangeError);
});

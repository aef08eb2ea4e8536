import assert from "node:assert/strict";
import { Wakeup } from "../../lib/util/mod.ts";

/** Whether `promise` has settled by the time queued microtasks and one macrotask ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => done = true);
  await new Promise((resolve) => setTimeout(resolve, 0));
  return done;
}

Deno.test("Wakeup.fire() ends every wait taken before it, and not a wait taken after it", async () => {
  const wakeup = new Wakeup();
  const first = wakeup.next();
  const second = wakeup.next();
  assert.equal(await settled(first), false, "a wait ended without a fire");
  wakeup.fire();
  assert.equal(await settled(first), true);
  assert.equal(await settled(second), true);
  const later = wakeup.next();
  assert.equal(await settled(later), false, "a fire before the wait ended it");
  wakeup.fire();
  assert.equal(await settled(later), true);
});

Deno.test("Wakeup with a signal ends waits when it aborts, and every wait after that at once", async () => {
  const stop = new AbortController();
  const wakeup = new Wakeup(stop.signal);
  const waiting = wakeup.next();
  assert.equal(await settled(waiting), false);
  stop.abort();
  assert.equal(await settled(waiting), true, "the abort did not end the wait");
  assert.equal(await settled(wakeup.next()), true, "a wait after the abort did not end at once");
});

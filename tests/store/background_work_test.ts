import assert from "node:assert/strict";
import { consumeWithHousekeeping, WorkInFlight } from "../../lib/store/background_work.ts";

Deno.test("consumeWithHousekeeping() runs housekeeping at once and again, never two at once, and waits for the last", async () => {
  let running = 0;
  let most = 0;
  let runs = 0;
  let ended = 0;
  const housekeeping = async () => {
    running++;
    runs++;
    most = Math.max(most, running);
    // Slower than the interval: the ticks in between must not start another run.
    await new Promise((resolve) => setTimeout(resolve, 30));
    running--;
    ended++;
  };
  await consumeWithHousekeeping(
    () => new Promise((resolve) => setTimeout(resolve, 100)),
    housekeeping,
    5,
  );
  assert.ok(runs >= 2, `housekeeping ran ${runs} times`);
  assert.equal(most, 1, "two housekeeping runs overlapped");
  assert.equal(ended, runs, "a housekeeping run was still going when consume returned");
});

Deno.test("WorkInFlight.settled() waits for tracked work however it ends, and forgets what ended", async () => {
  const work = new WorkInFlight();
  let late = false;
  const failing = work.track(Promise.reject(new Error("boom")));
  failing.catch(() => {});
  work.track(new Promise((resolve) => setTimeout(resolve, 20)).then(() => late = true));
  await work.settled();
  assert.equal(late, true);
  await work.settled();
});

/**
 * bench:profile's reading of a V8 CPU profile: a time window keeps only the samples taken
 * in it, so a warm-up's and a start-up's samples do not count toward the measured requests.
 */
import assert from "node:assert/strict";
import {
  byStep,
  type CpuProfile,
  longStretches,
  stepOf,
  windowed,
} from "../../bench/cpu_profile.ts";

/** Root → receive (id 2, lib/receive) and root → GC (id 3); one sample per 1 ms. */
function profile(samples: number[]): CpuProfile {
  return {
    startTime: 1_000_000,
    endTime: 1_000_000 + samples.length * 1000,
    nodes: [
      { id: 1, callFrame: { functionName: "(root)", url: "" }, children: [2, 3] },
      {
        id: 2,
        callFrame: { functionName: "receive", url: "file:///x/lib/receive/webhook_handler.ts" },
      },
      { id: 3, callFrame: { functionName: "(garbage collector)", url: "" } },
    ],
    samples,
    timeDeltas: samples.map(() => 1000),
  };
}

Deno.test("a window keeps only the samples taken within it, with their times", () => {
  // 3 ms of start-up GC, 4 ms of receiving, 3 ms of GC while stopping.
  const whole = profile([3, 3, 3, 2, 2, 2, 2, 3, 3, 3]);
  const measured = windowed(whole, 3_500, 7_500);
  assert.deepEqual(measured.samples, [2, 2, 2, 2]);
  assert.deepEqual(measured.timeDeltas, [1000, 1000, 1000, 1000]);
  assert.deepEqual([...byStep(measured)], [["lib/receive", 4000]]);
  assert.deepEqual([...byStep(whole)].sort(), [["(garbage collector)", 6000], [
    "lib/receive",
    4000,
  ]]);
});

Deno.test("a window past the profile's end keeps what there is, and an empty one keeps nothing", () => {
  const whole = profile([2, 2, 3]);
  assert.deepEqual(windowed(whole, 1_500, 99_000).samples, [2, 3]);
  assert.deepEqual(windowed(whole, 50_000, 60_000).samples, []);
  assert.equal(byStep(windowed(whole, 50_000, 60_000)).size, 0);
});

Deno.test("a stretch of one stack is measured within the window only", () => {
  const whole = profile([3, 3, 3, 3, 2, 2, 2, 3]);
  assert.deepEqual(
    // From its first sample to the first sample of another stack.
    longStretches(windowed(whole, 4_500, 8_000), 2).map((s) => s.ms),
    [3],
  );
  assert.deepEqual(longStretches(whole, 2).map((s) => s.ms), [4, 3]);
  assert.deepEqual(longStretches(windowed(whole, 5_500, 8_000), 2).map((s) => s.ms), [2]);
});

Deno.test("a sample is charged to its innermost hookgate module, sub-folders included", () => {
  const frame = (functionName: string, url: string) => ({
    id: 0,
    callFrame: { functionName, url },
  });
  const commit = frame("commit", "file:///x/lib/store/kv/group_commit.ts");
  const op = frame("op_kv_atomic_write", "ext:deno_kv/01_db.ts");
  const receive = frame("receive", "file:///x/lib/receive/webhook_handler.ts");
  assert.equal(stepOf([op, commit, receive]), "lib/store");
  assert.equal(stepOf([receive]), "lib/receive");
  assert.equal(stepOf([frame("sign", "file:///x/lib/util/hmac.ts")]), "lib/util/hmac.ts");
  assert.equal(stepOf([op]), "runtime (other)");
});

import assert from "node:assert/strict";
import { tallyGcTrace } from "../../bench/garbage.ts";

const TRACE = [
  "[1:0x55]      900 ms: Scavenge 5.3 (8.2) -> 3.6 (8.2) MB, pooled: 0.0 MB, 0.12 / 0.00 ms (average mu = 1.000, current mu = 1.000) allocation failure; ",
  "listening on http://127.0.0.1:8000/",
  "[1:0x55]      910 ms: Scavenge 5.2 (8.2) -> 3.7 (8.2) MB, pooled: 0.0 MB, 0.19 / 0.00 ms (average mu = 1.000, current mu = 1.000) allocation failure; ",
  "[1:0x55]      950 ms: Mark-Compact 9.7 (12.0) -> 6.1 (9.0) MB, pooled: 0 MB, 3.10 / 0.00 ms (+ 1.2 ms in 9 steps since start of marking) finalize incremental marking via task; GC in old space requested",
  "[1:0x55]      960 ms: Scavenge 7.0 (9.0) -> 6.2 (9.0) MB, pooled: 0.0 MB, 0.2 / 0.00 ms allocation failure; ",
].join("\n");

Deno.test("tallyGcTrace() counts collections and sums what was allocated between them", () => {
  const tally = tallyGcTrace(TRACE);
  assert.equal(tally.scavenges, 3);
  assert.equal(tally.fullCollections, 1);
  // (5.2 - 3.6) + (9.7 - 3.7) + (7.0 - 6.1): the first line has no collection before it.
  assert.ok(Math.abs(tally.allocatedMb - 8.5) < 1e-9, String(tally.allocatedMb));
});

Deno.test("tallyGcTrace() reads nothing from output without collections", () => {
  assert.deepEqual(tallyGcTrace('hookgate: listening\n{"id":"e1"}\n'), {
    scavenges: 0,
    fullCollections: 0,
    allocatedMb: 0,
  });
});

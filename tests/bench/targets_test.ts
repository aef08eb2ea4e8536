/**
 * The bench's verdicts: the refusal ratios come from the interleaved measurement when the
 * run made one, and from the one-at-a-time medians otherwise.
 */
import assert from "node:assert/strict";
import type { BenchReport, Interleaved, Measurement } from "../../bench/results_format.ts";
import { checkTargets, refusalRatio } from "../../bench/targets.ts";

function median(scenario: string, cpuUsPerRequest: number): Measurement {
  return {
    scenario,
    run: 0,
    rps: 10_000,
    p50Ms: 1,
    p99Ms: 5,
    cpuUsPerRequest,
    peakRssMb: 80,
    errors: 0,
    accepted: 0,
    storedEvents: null,
  };
}

function report(medians: Measurement[], interleaved: Interleaved | null): BenchReport {
  return {
    date: "2026-01-01T00:00:00.000Z",
    generator: "wrk",
    wrkThreads: 1,
    serveV8Flags: "",
    cpus: 2,
    loadAverageAtStart: [0, 0, 0],
    durationSeconds: 8,
    runs: 3,
    connections: 32,
    medians,
    runsDetail: medians,
    skipped: [],
    soakSeconds: 0,
    soak: null,
    growthSeconds: 0,
    storeGrowthMb: [],
    warmupSeconds: 2,
    interleaved,
  };
}

const interleaved: Interleaved = {
  rounds: 2,
  sliceSeconds: 2,
  rows: [
    {
      scenario: "verify-only",
      requests: 1000,
      cpuUsPerRequest: 50,
      errors: 0,
      perRoundCpuUs: [40, 60],
    },
    { scenario: "forged", requests: 900, cpuUsPerRequest: 55, errors: 0, perRoundCpuUs: [44, 66] },
  ],
};

Deno.test("refusal ratios are taken from the interleaved measurement when there is one", () => {
  // The one-at-a-time medians say 1.60 ×; the interleaved slices say 1.10 ×.
  const r = report([median("verify-only", 50), median("forged", 80)], interleaved);
  const share = refusalRatio(r, "forged");
  assert.ok(share !== null);
  assert.equal(share.ratio.toFixed(2), "1.10");
  assert.match(share.measured, /interleaved 2 × 2 s/);
  assert.match(share.measured, /rounds 1\.10–1\.10/);
  const verdict = checkTargets(r).find((t) => t.target.startsWith("forged:"));
  assert.equal(verdict?.met, true);
});

Deno.test("refusal ratios fall back to the medians of a run without interleaving", () => {
  const r = report([median("verify-only", 50), median("forged", 80)], null);
  assert.equal(refusalRatio(r, "forged")?.ratio.toFixed(2), "1.60");
  const verdict = checkTargets(r).find((t) => t.target.startsWith("forged:"));
  assert.equal(verdict?.met, false);
});

Deno.test("a refusal scenario the interleaving left out is judged by its medians", () => {
  const r = report(
    [median("verify-only", 50), median("forged", 80), median("duplicates", 55)],
    interleaved,
  );
  assert.equal(refusalRatio(r, "duplicates")?.ratio.toFixed(2), "1.10");
  assert.equal(refusalRatio(r, "duplicates")?.measured.includes("interleaved"), false);
});

Deno.test("no refusal verdict without the reference", () => {
  const r = report([median("forged", 80)], null);
  assert.equal(refusalRatio(r, "forged"), null);
  assert.equal(checkTargets(r).some((t) => t.target.startsWith("forged:")), false);
});

Deno.test("a slice that answered nothing is left out of the rounds' spread, not counted as free", () => {
  const withEmptySlice: Interleaved = {
    ...interleaved,
    rows: [
      { ...interleaved.rows[0]!, perRoundCpuUs: [40, 60] },
      { ...interleaved.rows[1]!, perRoundCpuUs: [null, 72] },
    ],
  };
  const share = refusalRatio(report([], withEmptySlice), "forged");
  assert.ok(share !== null);
  assert.match(share.measured, /rounds 1\.20–1\.20/);
});

Deno.test("the accepted verdicts say how far the durable floors get against the same peer", () => {
  const rated = (scenario: string, rps: number, cpuUsPerRequest: number) => ({
    ...median(scenario, cpuUsPerRequest),
    rps,
  });
  const r = report([
    rated("accepted", 6_000, 200),
    rated("fastapi", 5_000, 190),
    rated("floor-kv", 8_000, 110),
    rated("floor-sqlite", 9_000, 60),
  ], null);
  const targets = checkTargets(r);
  const fastapi = targets.find((t) => t.target.includes("FastAPI"));
  assert.equal(fastapi?.met, false);
  assert.equal(
    fastapi?.measured,
    "1.20 × (6,000 vs 5,000 req/s; the durable floor: 1.60 × on Deno KV, 1.80 × on node:sqlite)",
  );
  const cpu = targets.find((t) => t.target.startsWith("server CPU per accepted"));
  assert.equal(
    cpu?.measured,
    "200 µs (the durable floor: 110 µs on Deno KV, 60 µs on node:sqlite)",
  );
  // Without the floors, the figures stand alone.
  const alone = checkTargets(
    report([rated("accepted", 6_000, 200), rated("fastapi", 5_000, 190)], null),
  );
  assert.equal(
    alone.find((t) => t.target.includes("FastAPI"))?.measured,
    "1.20 × (6,000 vs 5,000 req/s)",
  );
});

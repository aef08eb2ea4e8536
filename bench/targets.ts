/**
 * The speed and size targets `deno task bench` checks, all within one run: hookgate
 * against the tools a user would otherwise pick (the seed's FastAPI receiver and
 * adnanh/webhook), against the verify-only reference, and absolute bounds.
 */
import { type BenchReport, type Measurement, REFERENCE, REFUSALS } from "./results_format.ts";

export interface TargetResult {
  target: string;
  measured: string;
  /** null when a scenario it needs did not run. */
  met: boolean | null;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

export function checkTargets(report: BenchReport): TargetResult[] {
  const row = (name: string): Measurement | undefined =>
    report.medians.find((r) => r.scenario === name);
  const results: TargetResult[] = [];
  const accepted = row("accepted");
  const fastapi = row("fastapi");
  const adnanh = row("adnanh");
  const exec = row("exec");
  // The durable floors (bench/durable_floor_server.ts): what any receiver on that engine reaches.
  const ran = ([["Deno KV", "floor-kv"], ["node:sqlite", "floor-sqlite"]] as const).flatMap(
    ([engine, name]) => {
      const floor = row(name);
      return floor ? [{ engine, floor }] : [];
    },
  );
  /** "the durable floor: <figure> on Deno KV, <figure> on node:sqlite", for the floors that ran. */
  const floorsSay = (figure: (floor: Measurement) => string) =>
    `the durable floor: ${
      ran.map(({ engine, floor }) => `${figure(floor)} on ${engine}`).join(", ")
    }`;

  const ratio = (
    label: string,
    a: Measurement | undefined,
    b: Measurement | undefined,
    min: number,
    /** Also say how far the durable floors get against `b`. */
    withFloors = false,
  ) => {
    if (!a || !b) {
      results.push({ target: label, measured: "not measured in this run", met: null });
      return;
    }
    const r = a.rps / b.rps;
    const floorNote = withFloors && ran.length > 0
      ? `; ${floorsSay((floor) => `${(floor.rps / b.rps).toFixed(2)} ×`)}`
      : "";
    results.push({
      target: label,
      measured: `${r.toFixed(2)} × (${fmt(a.rps)} vs ${fmt(b.rps)} req/s${floorNote})`,
      met: r >= min,
    });
  };
  ratio("accepted req/s ≥ 2.0 × the FastAPI receiver's", accepted, fastapi, 2.0, true);
  ratio("accepted req/s ≥ 3.0 × adnanh/webhook's", accepted, adnanh, 3.0, true);
  if (accepted) {
    const floorNote = ran.length > 0
      ? ` (${floorsSay((floor) => `${floor.cpuUsPerRequest.toFixed(0)} µs`)})`
      : "";
    results.push({
      target: "server CPU per accepted event ≤ 90 µs",
      measured: `${accepted.cpuUsPerRequest.toFixed(0)} µs${floorNote}`,
      met: accepted.cpuUsPerRequest <= 90,
    });
  }
  for (const name of REFUSALS) {
    const share = refusalRatio(report, name);
    if (share === null) continue;
    results.push({
      target: `${name}: server CPU per request ≤ 1.15 × ${REFERENCE}'s`,
      measured: share.measured,
      met: share.ratio <= 1.15,
    });
  }
  ratio(
    "`--exec true` req/s ≥ 1.0 × adnanh/webhook's (both run a command per delivery)",
    exec,
    adnanh,
    1.0,
  );
  if (accepted) {
    results.push({
      target: "p99 of accepted ≤ 15 ms at 32 connections",
      measured: `${accepted.p99Ms.toFixed(2)} ms`,
      met: accepted.p99Ms <= 15,
    });
  }
  if (report.soak) {
    results.push({
      target: `peak RSS ≤ 150 MB during a ${report.soakSeconds} s accepted run`,
      measured: `${report.soak.peakRssMb} MB`,
      met: report.soak.peakRssMb <= 150,
    });
  }
  const growth = report.storeGrowthMb;
  if (growth.length >= 8) {
    const last = growth.slice(-4).map((g) => g.mb);
    const peak = Math.max(...growth.map((g) => g.mb));
    results.push({
      target: "the store stops growing once the retention window is reached",
      measured: `last 20 s: ${last.map((n) => n.toFixed(1)).join(", ")} MB (peak ${
        peak.toFixed(1)
      } MB)`,
      met: Math.max(...last) <= Math.min(...last) * 1.05,
    });
  }
  const lost = report.runsDetail.filter((r) =>
    r.storedEvents !== null && r.storedEvents < r.accepted
  );
  results.push({
    target: "every `200 accepted` is in the store afterwards",
    measured: lost.length === 0
      ? `${
        fmt(report.runsDetail.reduce((n, r) => n + (r.storedEvents === null ? 0 : r.accepted), 0))
      } checked`
      : `${lost.length} run(s) lost events`,
    met: lost.length === 0,
  });
  return results;
}

/**
 * `name`'s CPU per request against the verify-only reference's: from the interleaved
 * measurement when the run made one (both sides under the same machine speed), else from
 * the medians of the one-at-a-time runs. Null when either side did not run.
 */
export function refusalRatio(
  report: BenchReport,
  name: string,
): { ratio: number; measured: string } | null {
  const rows = report.interleaved?.rows;
  const paired = rows?.find((r) => r.scenario === name);
  const pairedReference = rows?.find((r) => r.scenario === REFERENCE);
  if (report.interleaved && paired && pairedReference && pairedReference.cpuUsPerRequest > 0) {
    const ratio = paired.cpuUsPerRequest / pairedReference.cpuUsPerRequest;
    const perRound = paired.perRoundCpuUs.flatMap((us, i) => {
      const reference = pairedReference.perRoundCpuUs[i];
      return us === null || reference === null || reference === undefined || reference <= 0
        ? []
        : [us / reference];
    });
    const spread = perRound.length > 0
      ? `; rounds ${Math.min(...perRound).toFixed(2)}–${Math.max(...perRound).toFixed(2)}`
      : "";
    return {
      ratio,
      measured: `${ratio.toFixed(2)} × (${paired.cpuUsPerRequest.toFixed(1)} vs ${
        pairedReference.cpuUsPerRequest.toFixed(1)
      } µs, interleaved ${report.interleaved.rounds} × ${report.interleaved.sliceSeconds} s${spread})`,
    };
  }
  const own = report.medians.find((r) => r.scenario === name);
  const reference = report.medians.find((r) => r.scenario === REFERENCE);
  if (!own || !reference || reference.cpuUsPerRequest <= 0) return null;
  const ratio = own.cpuUsPerRequest / reference.cpuUsPerRequest;
  return {
    ratio,
    measured: `${ratio.toFixed(2)} × (${own.cpuUsPerRequest.toFixed(0)} vs ${
      reference.cpuUsPerRequest.toFixed(0)
    } µs, medians of ${report.runs} runs)`,
  };
}

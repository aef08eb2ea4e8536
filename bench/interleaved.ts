/**
 * The refusal ratios (forged and duplicates against the verify-only reference),
 * measured interleaved: all three servers run at once, each is warmed up, then they
 * take turns under the same load in short slices, round after round (the order
 * reversed every other round), and each one's CPU and requests are summed over its
 * slices. A drift of the machine's speed during the measurement then lands on both
 * sides of a ratio alike, where one-at-a-time runs put it all on one side.
 */
import { cpuMicros } from "./proc_stats.ts";
import type { Interleaved } from "./results_format.ts";
import {
  type BenchContext,
  checkForgeries,
  driveScenario,
  errorsOf,
  startFor,
  warmUp,
} from "./scenarios.ts";
import type { Server } from "./servers.ts";

export interface InterleaveSettings {
  rounds: number;
  /** Whole seconds (wrk's -d takes whole seconds). */
  sliceSeconds: number;
}

/**
 * How long an interleaved measurement of `servers` keeps replaying the deliveries it
 * signed at its start. They must stay fresh throughout: hookgate refuses a stale
 * timestamp before it verifies, which would make a forged request cheaper than the
 * reference's (which checks no timestamp).
 */
export function interleavedSeconds(
  servers: number,
  settings: InterleaveSettings,
  warmupSeconds: number,
): number {
  return servers * (warmupSeconds + settings.rounds * settings.sliceSeconds);
}

/**
 * Runs `scenarios` (the reference and the refusal scenarios) interleaved. Throws when a
 * forged delivery was accepted, as the one-at-a-time runs do.
 */
export async function measureInterleaved(
  scenarios: string[],
  settings: InterleaveSettings,
  ctx: BenchContext,
): Promise<Interleaved> {
  // Each server's deliveries are replayed slice after slice: size them for one slice.
  const sliceCtx = { ...ctx, seconds: settings.sliceSeconds };
  const started: { scenario: string; server: Server; file: string }[] = [];
  const totals = new Map<string, { requests: number; cpuUs: number; errors: number }>();
  const perRound = new Map<string, (number | null)[]>(scenarios.map((s) => [s, []]));
  try {
    for (const scenario of scenarios) {
      const file = `${ctx.tmp}/interleaved-${scenario}.tsv`;
      started.push({ scenario, server: await startFor(scenario, sliceCtx, file), file });
    }
    for (const { scenario, server, file } of started) {
      const warm = await warmUp(scenario, server, file, ctx);
      totals.set(scenario, {
        requests: 0,
        cpuUs: 0,
        errors: warm === null ? 0 : errorsOf(scenario, warm),
      });
    }
    for (let round = 0; round < settings.rounds; round++) {
      const order = round % 2 === 0 ? started : [...started].reverse();
      for (const { scenario, server, file } of order) {
        const before = cpuMicros(server.pid);
        const summary = await driveScenario(scenario, server, file, settings.sliceSeconds, ctx);
        const cpuUs = cpuMicros(server.pid) - before;
        checkForgeries(scenario, summary);
        const total = totals.get(scenario)!;
        total.requests += summary.requests;
        total.cpuUs += cpuUs;
        total.errors += errorsOf(scenario, summary);
        // A slice that answered nothing has no figure (null), not a free one.
        perRound.get(scenario)!.push(summary.requests > 0 ? cpuUs / summary.requests : null);
      }
    }
  } finally {
    await Promise.all(started.map(({ server }) => server.stop()));
    for (const { file } of started) {
      await Deno.remove(file).catch(() => {});
      await Deno.remove(`${file}.data`, { recursive: true }).catch(() => {});
    }
  }
  return {
    rounds: settings.rounds,
    sliceSeconds: settings.sliceSeconds,
    rows: scenarios.map((scenario) => {
      const { requests, cpuUs, errors } = totals.get(scenario)!;
      return {
        scenario,
        requests,
        cpuUsPerRequest: requests > 0 ? cpuUs / requests : 0,
        errors,
        perRoundCpuUs: perRound.get(scenario)!,
      };
    }),
  };
}

/**
 * The refusal ratios (forged and duplicates against the verify-only reference),
 * measured interleaved: all three servers run at once, each is warmed up, then they
 * take turns under the same load in short slices, round after round (the order
 * reversed every other round), and each one's CPU and requests are summed over its
 * slices. A drift of the machine's speed, which moves one 8 s run against the next
 * by a fifth on this shared machine, then lands on both sides of a ratio alike.
 */
import { drive, type LoadSummary } from "./load.ts";
import { cpuMicros } from "./proc_stats.ts";
import type { Interleaved } from "./results_format.ts";
import { type BenchContext, errorsOf, startFor, warmUp } from "./scenarios.ts";
import type { Server } from "./servers.ts";

/** The reference every refusal ratio is taken against. */
export const REFERENCE = "verify-only";

export interface InterleaveSettings {
  rounds: number;
  sliceSeconds: number;
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
  const started: { scenario: string; server: Server; file: string }[] = [];
  const totals = new Map<string, { requests: number; cpuUs: number; errors: number }>();
  const perRound = new Map<string, number[]>(scenarios.map((s) => [s, []]));
  try {
    for (const scenario of scenarios) {
      const file = `${ctx.tmp}/interleaved-${scenario}.tsv`;
      started.push({ scenario, server: await startFor(scenario, ctx, file), file });
    }
    for (const { scenario, server, file } of started) {
      const warm = await warmUp(scenario, server, file, ctx);
      if (warm !== null) check(scenario, warm);
      totals.set(scenario, { requests: 0, cpuUs: 0, errors: 0 });
    }
    for (let round = 0; round < settings.rounds; round++) {
      const order = round % 2 === 0 ? started : [...started].reverse();
      for (const { scenario, server, file } of order) {
        const before = cpuMicros(server.pid);
        const summary = await drive(server.url, file, {
          ...ctx.load,
          seconds: settings.sliceSeconds,
        });
        const cpuUs = cpuMicros(server.pid) - before;
        check(scenario, summary);
        const total = totals.get(scenario)!;
        total.requests += summary.requests;
        total.cpuUs += cpuUs;
        total.errors += errorsOf(scenario, summary);
        perRound.get(scenario)!.push(summary.requests > 0 ? cpuUs / summary.requests : 0);
      }
    }
  } finally {
    await Promise.all(started.map(({ server }) => server.stop()));
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

function check(scenario: string, summary: LoadSummary): void {
  if (scenario !== "duplicates" && summary.accepted > 0) {
    throw new Error(`${scenario}: ${summary.accepted} forged deliveries were accepted`);
  }
}

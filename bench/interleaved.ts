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
import { type Server, serveTaskV8Flags } from "./servers.ts";

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

/** One server of an interleaved measurement: a scenario, from this checkout or another. */
export interface InterleavedServer {
  scenario: string;
  /** Its row's name (default: the scenario); two servers of one scenario need two. */
  label?: string;
  /** Another checkout's hookgate (ending in '/'), with its own serve task's V8 flags. */
  tree?: string;
}

/**
 * Runs `servers` (a scenario name is a server of this checkout) interleaved: the reference
 * and the refusal scenarios in `deno task bench`, or the same scenarios from two checkouts in
 * `deno task bench:compare`. Throws when a forged delivery was accepted, as the one-at-a-time
 * runs do.
 */
export async function measureInterleaved(
  servers: (string | InterleavedServer)[],
  settings: InterleaveSettings,
  ctx: BenchContext,
): Promise<Interleaved> {
  const entries = servers.map((server) =>
    typeof server === "string" ? { scenario: server, label: server } : {
      ...server,
      label: server.label ?? server.scenario,
    }
  );
  const labels = entries.map((entry) => entry.label);
  // Each server's deliveries are replayed slice after slice: size them for one slice.
  const started: { scenario: string; label: string; server: Server; file: string }[] = [];
  const totals = new Map<string, { requests: number; cpuUs: number; errors: number }>();
  const perRound = new Map<string, (number | null)[]>(labels.map((label) => [label, []]));
  try {
    for (const [i, { scenario, label, tree }] of entries.entries()) {
      const file = `${ctx.tmp}/interleaved-${i}-${scenario}.tsv`;
      const hookgate = tree === undefined
        ? ctx.hookgate
        : { v8Flags: await serveTaskV8Flags(tree), tree };
      const sliceCtx = { ...ctx, hookgate, seconds: settings.sliceSeconds };
      started.push({ scenario, label, server: await startFor(scenario, sliceCtx, file), file });
    }
    for (const { scenario, label, server, file } of started) {
      const warm = await warmUp(scenario, server, file, ctx);
      totals.set(label, {
        requests: 0,
        cpuUs: 0,
        errors: warm === null ? 0 : errorsOf(scenario, warm),
      });
    }
    for (let round = 0; round < settings.rounds; round++) {
      const order = round % 2 === 0 ? started : [...started].reverse();
      for (const { scenario, label, server, file } of order) {
        const before = cpuMicros(server.pid);
        const summary = await driveScenario(scenario, server, file, settings.sliceSeconds, ctx);
        const cpuUs = cpuMicros(server.pid) - before;
        checkForgeries(scenario, summary);
        const total = totals.get(label)!;
        total.requests += summary.requests;
        total.cpuUs += cpuUs;
        total.errors += errorsOf(scenario, summary);
        // A slice that answered nothing has no figure (null), not a free one.
        perRound.get(label)!.push(summary.requests > 0 ? cpuUs / summary.requests : null);
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
    rows: labels.map((label) => {
      const { requests, cpuUs, errors } = totals.get(label)!;
      return {
        scenario: label,
        requests,
        cpuUsPerRequest: requests > 0 ? cpuUs / requests : 0,
        errors,
        perRoundCpuUs: perRound.get(label)!,
      };
    }),
  };
}

/**
 * The shape of bench/results/latest.json: written by bench/run.ts, read by
 * bench/report_markdown.ts and bench/targets.ts (one definition, so they cannot
 * drift apart).
 */

/** One scenario's figures: of one run, or the medians over the runs. */
export interface Measurement {
  scenario: string;
  run: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** The server's CPU time (user + system, with reaped children) per request, in µs. */
  cpuUsPerRequest: number;
  peakRssMb: number;
  errors: number;
  accepted: number;
  storedEvents: number | null;
  /** fleet only: each instance's peak RSS. */
  instancesPeakRssMb?: number[];
}

/** The reference every refusal ratio is taken against: one WebCrypto verify. */
export const REFERENCE = "verify-only";
/**
 * The same reference with hookgate's own HMAC (lib/util/hmac.ts): measured beside it, so the
 * refusal scenarios are also seen against the verify they really make.
 */
export const SAME_HMAC_REFERENCE = "verify-only-hookgate";
/** The scenarios whose CPU per request a target compares with the reference's. */
export const REFUSALS = ["forged", "duplicates"];

/** The refusal scenarios and their reference, run interleaved (bench/interleaved.ts). */
export interface Interleaved {
  rounds: number;
  sliceSeconds: number;
  rows: {
    scenario: string;
    /** Summed over every slice of every round. */
    requests: number;
    cpuUsPerRequest: number;
    errors: number;
    /** CPU µs per request of each round's slice, in round order (null: it answered nothing). */
    perRoundCpuUs: (number | null)[];
  }[];
}

export interface BenchReport {
  date: string;
  generator: "wrk" | "builtin";
  wrkThreads: number | null;
  serveV8Flags: string;
  cpus: number;
  loadAverageAtStart: number[];
  durationSeconds: number;
  runs: number;
  connections: number;
  medians: Measurement[];
  runsDetail: Measurement[];
  /** Scenarios that were asked for (or are run by default) but could not run here, and why. */
  skipped: { scenario: string; reason: string }[];
  soakSeconds: number;
  soak: Measurement | null;
  growthSeconds: number;
  storeGrowthMb: { t: number; mb: number }[];
  /** Unmeasured load on every server before its measured window (absent: none). */
  warmupSeconds?: number;
  /** Absent or null: not run. */
  interleaved?: Interleaved | null;
}

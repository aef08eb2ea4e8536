/**
 * The shape of bench/results/latest.json: written by bench/run.ts, read by
 * bench/report_markdown.ts (one definition, so the two cannot drift apart).
 */

/** One scenario's figures: of one run, or the medians over the runs. */
export interface Measurement {
  scenario: string;
  run: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMb: number;
  errors: number;
  /** req/s relative to the bare server in the same run (null for the bare row). */
  ratio: number | null;
  accepted: number;
  storedEvents: number | null;
  /** fleet only: each instance's peak RSS, and req/s relative to 1 instance + KV in the same run. */
  instancesPeakRssMb?: number[];
  ratioToAccepted?: number | null;
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
  soakSeconds: number;
  soak: Measurement | null;
  growthSeconds: number;
  storeGrowthMb: { t: number; mb: number }[];
}

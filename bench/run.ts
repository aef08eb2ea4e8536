/**
 * `deno task bench`: hookgate's receive path side by side, in one run, with two
 * references (a bare Deno.serve; verify-only, the bare server plus one WebCrypto
 * verify) and two durable floors (verify-only plus a group-committed claim, inbox record
 * and settle on Deno KV or node:sqlite, nothing else), the peers a user would otherwise pick (the seed's FastAPI receiver
 * and adnanh/webhook, from ../shared/peers, when installed), all under the same
 * pre-signed load from a separate process (wrk with bench/deliveries.lua when
 * installed, else bench/load_generator.ts). Every server is warmed up with
 * unmeasured load first. Each scenario reports req/s, p50/p99 and the server's own
 * CPU time per request; the refusal ratios are also measured interleaved
 * (bench/interleaved.ts); bench/targets.ts checks the targets.
 */
import { parseArgs } from "node:util";
import { interleavedSeconds, measureInterleaved } from "./interleaved.ts";
import { ROOT } from "./load.ts";
import {
  type BenchReport,
  type Measurement,
  REFERENCE,
  REFUSALS,
  SAME_HMAC_REFERENCE,
} from "./results_format.ts";
import { type BenchContext, measure, measureFleet, measureSoak, storeGrowth } from "./scenarios.ts";
import { commandExists, defaultPeersDir, fastapiPython, serveTaskV8Flags } from "./servers.ts";
import { checkTargets } from "./targets.ts";

/**
 * The order of each run: what a target compares runs next to each other (verify-only with
 * forged and duplicates, the durable floors and accepted with the peers, the peers with
 * exec), so a drift of the
 * machine's speed during a run moves both sides of a ratio about alike. The refusal ratios
 * are judged by the interleaved measurement when it runs, which pairs them closer still.
 */
const ALL_SCENARIOS = [
  "bare",
  "verify-only",
  "verify-only-hookgate",
  "forged",
  "duplicates",
  "floor-kv",
  "floor-sqlite",
  "receive-only",
  "accepted",
  "accepted-kv",
  "fastapi",
  "adnanh",
  "exec",
  "fleet",
];

const { values } = parseArgs({
  args: Deno.args,
  options: {
    duration: { type: "string", default: "8" },
    runs: { type: "string", default: "3" },
    // Unmeasured load on every server first, so each is measured warm (JIT, heap grown).
    warmup: { type: "string", default: "2" },
    // The refusal ratios, measured interleaved: rounds of one slice per server (0: not run).
    "interleave-rounds": { type: "string", default: "8" },
    "interleave-seconds": { type: "string", default: "2" },
    connections: { type: "string", default: "32" },
    scenarios: { type: "string", default: ALL_SCENARIOS.join(",") },
    soak: { type: "string", default: "60" },
    // Longer than Deno's expiry sweep (about 60 s after the 10 s retention), so the series shows the plateau.
    "growth-seconds": { type: "string", default: "90" },
    // V8 flags for `hookgate serve`; by default those of deno.json's serve task, so the bench runs what users run.
    "serve-v8-flags": { type: "string" },
    generator: { type: "string", default: "auto" },
    // One wrk thread: the cheapest load, so the server gets as much of the 2 cores as it can use.
    threads: { type: "string", default: "1" },
    peers: { type: "string" },
    // Another checkout's hookgate under the same load (e.g. to compare a change with its base).
    tree: { type: "string" },
    out: { type: "string", default: `${ROOT}bench/results/latest.json` },
  },
});

/** serve's default freshness window is 300 s; the interleaved deliveries stay well inside it. */
const FRESH_FOR_SECONDS = 240;

function fail(message: string): never {
  console.error(`bench: ${message}`);
  Deno.exit(2);
}

/** A flag that counts whole seconds or rounds (wrk's -d takes whole seconds), at least `min`. */
function wholeNumber(
  flag: "duration" | "warmup" | "interleave-rounds" | "interleave-seconds",
  min: number,
): number {
  const raw = values[flag];
  const n = Number(raw);
  if (!/^[0-9]+$/.test(raw) || n < min) {
    fail(`--${flag} ${raw}: give a whole number, at least ${min}`);
  }
  return n;
}

/** Which requested scenarios cannot run on this machine, and why (said, never silently dropped). */
async function unavailable(
  requested: string[],
  peersDir: string,
  python: string | null,
): Promise<Map<string, string>> {
  const reasons = new Map<string, string>();
  const peersThere = await Deno.stat(peersDir).then(() => true, () => false);
  for (const scenario of requested) {
    if (!ALL_SCENARIOS.includes(scenario)) reasons.set(scenario, "unknown scenario");
    else if (scenario === "fleet" && !(await commandExists("redis-server"))) {
      reasons.set(scenario, "redis-server is not installed (apt-get install redis-server)");
    } else if ((scenario === "fastapi" || scenario === "adnanh") && !peersThere) {
      reasons.set(scenario, `the peers folder ${peersDir} does not exist (pass --peers DIR)`);
    } else if (scenario === "fastapi" && python === null) {
      reasons.set(
        scenario,
        "no python3 with FastAPI (apt-get install python3-fastapi python3-uvicorn python3-dotenv)",
      );
    } else if (scenario === "adnanh" && !(await commandExists("webhook"))) {
      reasons.set(scenario, "adnanh/webhook is not installed (apt-get install webhook)");
    }
  }
  return reasons;
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function mediansOf(all: Measurement[], scenarios: string[]): Measurement[] {
  return scenarios.map((scenario) => {
    const rows = all.filter((m) => m.scenario === scenario);
    return {
      scenario,
      run: 0,
      rps: median(rows.map((r) => r.rps)),
      p50Ms: median(rows.map((r) => r.p50Ms)),
      p99Ms: median(rows.map((r) => r.p99Ms)),
      cpuUsPerRequest: median(rows.map((r) => r.cpuUsPerRequest)),
      peakRssMb: Math.max(...rows.map((r) => r.peakRssMb)),
      errors: rows.reduce((sum, r) => sum + r.errors, 0),
      accepted: rows.reduce((sum, r) => sum + r.accepted, 0),
      storedEvents: null,
      ...(scenario === "fleet"
        ? {
          instancesPeakRssMb: [0, 1].map((i) =>
            Math.max(...rows.map((r) => r.instancesPeakRssMb?.[i] ?? 0))
          ),
        }
        : {}),
    } satisfies Measurement;
  });
}

function table(rows: Measurement[]): string {
  const header = "| scenario | req/s | p50 ms | p99 ms | CPU µs/req | peak RSS MB | errors |";
  const lines = rows.map((r) =>
    `| ${r.scenario} | ${r.rps} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ` +
    `${r.cpuUsPerRequest.toFixed(0)} | ${r.peakRssMb} | ${r.errors} |`
  );
  return [header, "| --- | --- | --- | --- | --- | --- | --- |", ...lines].join("\n");
}

async function main(): Promise<void> {
  const loadAverageAtStart = Deno.loadavg();
  const useWrk = values.generator === "wrk" ||
    (values.generator === "auto" && await commandExists("wrk"));
  const peersDir = values.peers ?? defaultPeersDir();
  const python = await fastapiPython();
  const requested = values.scenarios.split(",").filter(Boolean);
  const reasons = await unavailable(requested, peersDir, python);
  for (const [scenario, reason] of reasons) console.error(`bench: ${scenario} skipped: ${reason}`);
  const scenarios = requested.filter((name) => !reasons.has(name));
  const interleave = {
    rounds: wholeNumber("interleave-rounds", 0),
    sliceSeconds: wholeNumber("interleave-seconds", 1),
  };
  const warmupSeconds = wholeNumber("warmup", 0);
  const replayedFor = interleavedSeconds(2 + REFUSALS.length, interleave, warmupSeconds);
  if (replayedFor > FRESH_FOR_SECONDS) {
    fail(
      `--interleave-rounds ${interleave.rounds} × --interleave-seconds ${interleave.sliceSeconds} ` +
        `with --warmup ${warmupSeconds} replays deliveries signed at its start for ` +
        `${replayedFor} s; serve refuses timestamps older than 300 s before it verifies, which ` +
        `would flatter the refusal ratios. Keep it under ${FRESH_FOR_SECONDS} s: fewer rounds ` +
        "or shorter slices.",
    );
  }
  const tree = values.tree === undefined ? ROOT : `${await Deno.realPath(values.tree)}/`;
  const ctx: BenchContext = {
    tmp: await Deno.makeTempDir({ prefix: "hookgate-bench-" }),
    seconds: wholeNumber("duration", 1),
    warmupSeconds,
    load: { useWrk, threads: Number(values.threads), connections: Number(values.connections) },
    hookgate: { v8Flags: values["serve-v8-flags"] ?? await serveTaskV8Flags(tree), tree },
    secret: "bench-secret-" + crypto.randomUUID(),
    forgedSecret: "forged-secret-" + crypto.randomUUID(),
    peersDir,
    python,
  };
  const runs = Number(values.runs);
  console.error(
    `bench: ${runs} run(s) of ${ctx.seconds} s after ${ctx.warmupSeconds} s of warm-up, ` +
      `${ctx.load.connections} connections, load from ${
        useWrk ? `wrk -t${ctx.load.threads}` : "the built-in generator"
      }, serve V8 flags: ${ctx.hookgate.v8Flags || "(none)"}${
        tree === ROOT ? "" : `, hookgate from ${tree}`
      }`,
  );
  try {
    const all: Measurement[] = [];
    for (let run = 1; run <= runs; run++) {
      for (const scenario of scenarios) {
        const m = scenario === "fleet"
          ? await measureFleet(run, ctx)
          : await measure(scenario, run, ctx);
        all.push(m);
        console.error(
          `run ${run}: ${scenario} ${m.rps} req/s, ${m.cpuUsPerRequest.toFixed(0)} µs CPU/req`,
        );
      }
    }
    const refusals = scenarios.filter((name) => REFUSALS.includes(name));
    const sameHmac = scenarios.includes(SAME_HMAC_REFERENCE) ? [SAME_HMAC_REFERENCE] : [];
    const interleaved = interleave.rounds > 0 && scenarios.includes(REFERENCE) &&
        refusals.length > 0
      ? await measureInterleaved([REFERENCE, ...sameHmac, ...refusals], interleave, ctx)
      : null;
    for (const row of interleaved?.rows ?? []) {
      console.error(
        `interleaved: ${row.scenario} ${row.cpuUsPerRequest.toFixed(1)} µs CPU/req ` +
          `(${row.perRoundCpuUs.map((us) => us === null ? "–" : us.toFixed(0)).join(" ")})`,
      );
    }
    const soakSeconds = Number(values.soak);
    const soak = soakSeconds > 0 ? await measureSoak(soakSeconds, ctx) : null;
    if (soak) console.error(`soak ${soakSeconds} s: peak RSS ${soak.peakRssMb} MB`);
    const growthSeconds = Number(values["growth-seconds"]);
    const growth = growthSeconds > 0 ? await storeGrowth(growthSeconds, ctx) : [];
    const report: BenchReport = {
      date: new Date().toISOString(),
      generator: useWrk ? "wrk" : "builtin",
      wrkThreads: useWrk ? ctx.load.threads : null,
      serveV8Flags: ctx.hookgate.v8Flags,
      cpus: navigator.hardwareConcurrency,
      loadAverageAtStart,
      durationSeconds: ctx.seconds,
      runs,
      connections: ctx.load.connections,
      medians: mediansOf(all, scenarios),
      runsDetail: all,
      skipped: [...reasons].map(([scenario, reason]) => ({ scenario, reason })),
      soakSeconds,
      soak,
      growthSeconds,
      storeGrowthMb: growth,
      warmupSeconds: ctx.warmupSeconds,
      interleaved,
    };
    await Deno.mkdir(new URL("results/", import.meta.url), { recursive: true });
    await Deno.writeTextFile(values.out, JSON.stringify(report, null, 2) + "\n");
    console.log(table(report.medians));
    for (const { target, measured, met } of checkTargets(report)) {
      console.log(`${met === null ? "n/a " : met ? "met " : "NOT "} ${target}: ${measured}`);
    }
    console.log(`\nwritten to ${values.out}`);
  } finally {
    await Deno.remove(ctx.tmp, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();

/**
 * `deno task bench:profile`: where one scenario's server CPU goes, by step. Runs
 * `hookgate serve` under wrk with V8's CPU profiler on, and reads the CPU time of
 * each of the server's threads from /proc; prints both per request:
 *
 * - threads: the JavaScript thread ("deno"), Deno KV's SQLite writer, V8's
 *   helpers (GC, compiler), the profiler's own ("v8:ProfEvntProc", absent
 *   without profiling) — every thread's CPU time from /proc, and how long the
 *   scheduler kept it waiting for a CPU;
 * - the JavaScript thread by step: each profiler sample is charged to the
 *   innermost hookgate module on its stack (lib/receive, lib/store, lib/trace …),
 *   or, with none, to what ran (Deno.serve's HTTP glue, GC, native code).
 *
 * Like `deno task bench`, the server first gets `--warmup` seconds of unmeasured load with
 * deliveries of its own; the thread figures and the profile's samples cover the measured
 * window only (the profile is cut at the instants the load started and ended, counted back
 * from the server's exit, where V8 ends its profile: a few milliseconds' error at most).
 *
 * `--scenario verify-only` profiles the verify-only reference under the forged load, so the
 * two profiles side by side show what hookgate adds to a refused request;
 * `verify-only-hookgate` the same reference with hookgate's own HMAC.
 *
 * `--scenario exec` runs serve with `--exec true`; the agents' CPU (reaped children) is
 * printed as a row of its own.
 *
 * `--scenario receive-only` runs serve with `--pull --quiet --no-trace` (the gates and the
 * accept commit alone), to set beside `accepted`.
 *
 * `--serve-flags="--no-trace --quiet"` adds serve flags to the scenario's, to profile what
 * one of them costs.
 *
 * Usage: deno task bench:profile
 *        [--scenario accepted|receive-only|forged|duplicates|exec|verify-only|verify-only-hookgate]
 *        [--seconds 6] [--warmup 2] [--tree DIR] [--serve-flags="FLAGS"]
 */
import { parseArgs } from "node:util";
import { drive, type LoadSummary, preAccept, ROOT, writeDeliveries } from "./load.ts";
import { bySelf, byStep, type CpuProfile, longStretches, windowed } from "./cpu_profile.ts";
import { cpuMicros, type ThreadTimes, threadTimes } from "./proc_stats.ts";
import { profileServeFlags, serveTaskV8Flags, startHookgate, startReference } from "./servers.ts";
import { countEventsByStatus } from "./stored_events.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    scenario: { type: "string", default: "accepted" },
    seconds: { type: "string", default: "6" },
    warmup: { type: "string", default: "2" },
    connections: { type: "string", default: "32" },
    // Another checkout's hookgate (e.g. the base of a change, for a before/after profile).
    tree: { type: "string" },
    functions: { type: "string", default: "20" },
    "serve-flags": { type: "string", default: "" },
  },
});

/** The reference servers it profiles, by the HMAC each verifies with. */
const REFERENCES: Record<string, string | undefined> = {
  "verify-only": "webcrypto",
  "verify-only-hookgate": "hookgate",
};

async function main(): Promise<void> {
  const scenario = values.scenario;
  const seconds = Number(values.seconds);
  const warmup = Number(values.warmup);
  if (!Number.isInteger(warmup) || warmup < 0) {
    throw new Error(`--warmup must be a whole number of seconds, got ${values.warmup}`);
  }
  const serveFlags = profileServeFlags(scenario, values["serve-flags"]);
  const tmp = await Deno.makeTempDir({ prefix: "hookgate-profile-" });
  const secret = "profile-secret-" + crypto.randomUUID();
  try {
    const file = `${tmp}/deliveries.tsv`;
    const reference = REFERENCES[scenario];
    const signer = scenario === "forged" || reference !== undefined ? "another-" + secret : secret;
    const deliveries = (forSeconds: number) =>
      scenario === "duplicates" ? 2_000 : 40_000 * forSeconds;
    await writeDeliveries(file, deliveries(seconds), { secret: signer });
    // The warm-up's own deliveries (new ids); duplicates replay theirs.
    const warmFile = scenario === "duplicates" ? file : `${tmp}/warm.tsv`;
    if (warmup > 0 && warmFile !== file) {
      await writeDeliveries(warmFile, deliveries(warmup), { secret: signer });
    }
    const tree = values.tree === undefined ? ROOT : `${await Deno.realPath(values.tree)}/`;
    const denoFlags = [`--cpu-prof-dir=${tmp}/prof`];
    const server = reference !== undefined
      ? await startReference(
        "verify_only_server.ts",
        { WEBHOOK_SECRET: secret, REFERENCE_HMAC: reference },
        denoFlags,
      )
      : await startHookgate({
        tree,
        dataDir: `${tmp}/data`,
        v8Flags: await serveTaskV8Flags(tree),
        denoFlags,
        env: { WEBHOOK_SECRET: secret },
        extra: serveFlags,
      });
    let summary: LoadSummary;
    let before: Map<string, ThreadTimes>;
    let after: Map<string, ThreadTimes>;
    let reapedSpent: number;
    // Bench-clock instants (ms) of the measured load's start and end, and of the server's exit.
    let loadStartMs: number;
    let loadEndMs: number;
    const load = { useWrk: true, threads: 1, connections: Number(values.connections) };
    try {
      if (scenario === "duplicates") await preAccept(server.url, file);
      if (warmup > 0) await drive(server.url, warmFile, { ...load, seconds: warmup });
      const reapedBefore = cpuMicros(server.pid, "reaped");
      before = threadTimes(server.pid);
      loadStartMs = performance.now();
      summary = await drive(server.url, file, { ...load, seconds });
      loadEndMs = performance.now();
      after = threadTimes(server.pid);
      reapedSpent = cpuMicros(server.pid, "reaped") - reapedBefore;
    } finally {
      await server.stop();
    }
    const exitedMs = performance.now();
    const [profileFile] = [...Deno.readDirSync(`${tmp}/prof`)].map((e) => e.name);
    if (!profileFile) throw new Error("serve wrote no CPU profile");
    const whole = JSON.parse(
      await Deno.readTextFile(`${tmp}/prof/${profileFile}`),
    ) as CpuProfile;
    // V8 ends the profile as the server exits: count the window back from there.
    const spanUs = whole.endTime - whole.startTime;
    const profile = windowed(
      whole,
      spanUs - (exitedMs - loadStartMs) * 1000,
      spanUs - (exitedMs - loadEndMs) * 1000,
    );
    const perRequest = (us: number) => (us / summary.requests).toFixed(1);
    console.log(
      `${scenario}: ${summary.requests} requests in ${seconds} s ` +
        `(${Math.round(summary.requests / seconds)} req/s) after ${warmup} s of warm-up`,
    );
    if (scenario === "exec") {
      // Every hand-off the server settled, the few it finished while stopping included.
      const settled = tree === ROOT
        ? await countEventsByStatus(`${tmp}/data`).then(({ done, dead }) => String(done + dead))
        : "not counted (another tree's store)";
      console.log(`handed off and settled (the warm-up's included): ${settled}`);
    }
    console.log("");
    console.log(
      "| thread | CPU µs / request | waiting for a CPU, µs / request |\n| --- | ---: | ---: |",
    );
    let total = 0;
    for (const [name, times] of [...after].sort((a, b) => b[1].cpuUs - a[1].cpuUs)) {
      const was = before.get(name);
      const spent = times.cpuUs - (was?.cpuUs ?? 0);
      const waited = times.waitUs === null ? null : times.waitUs - (was?.waitUs ?? 0);
      total += spent;
      if (spent <= 0) continue;
      console.log(
        `| ${name} | ${perRequest(spent)} | ${waited === null ? "n/a" : perRequest(waited)} |`,
      );
    }
    if (reapedSpent > 0) {
      console.log(
        `| reaped children (agents and their launchers) | ${perRequest(reapedSpent)} | |`,
      );
    }
    console.log(
      `| **all threads${reapedSpent > 0 ? " and reaped children" : ""}** | ` +
        `**${perRequest(total + reapedSpent)}** | |\n`,
    );
    const steps = byStep(profile);
    const busy = [...steps].filter(([step]) => step !== "(idle)").reduce((n, [, us]) => n + us, 0);
    console.log("| JavaScript thread, by step | CPU µs / request | share |\n| --- | ---: | ---: |");
    for (const [step, us] of [...steps].sort((a, b) => b[1] - a[1])) {
      if (step === "(idle)") continue;
      console.log(`| ${step} | ${perRequest(us)} | ${(100 * us / busy).toFixed(0)} % |`);
    }
    console.log("\n| JavaScript thread, heaviest functions (self time) | CPU µs / request |");
    console.log("| --- | ---: |");
    for (const [name, us] of bySelf(profile).slice(0, Number(values.functions))) {
      console.log(`| ${name.replaceAll("|", "\\|")} | ${perRequest(us)} |`);
    }
    const stalls = longStretches(profile, 2);
    const stalled = stalls.reduce((sum, stall) => sum + stall.ms, 0);
    console.log(
      `\nJavaScript thread: ${stalls.length} stretches of 2 ms or more in one stack ` +
        `(${stalled.toFixed(0)} ms in all); the longest:\n`,
    );
    console.log("| ms | frame |\n| ---: | --- |");
    for (const { ms, frame } of stalls.slice(0, 8)) {
      const shown = frame.length > 80 ? `${frame.slice(0, 77)}...` : frame;
      console.log(`| ${ms.toFixed(1)} | ${shown.replaceAll("|", "\\|")} |`);
    }
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();

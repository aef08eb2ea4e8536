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
 * The profile covers the server's whole run, its first seconds included: unlike
 * `deno task bench` there is no warm-up, so its figures sit a little above a warm server's.
 *
 * `--scenario verify-only` profiles the verify-only reference under the forged load, so the
 * two profiles side by side show what hookgate adds to a refused request.
 *
 * `--scenario exec` runs serve with `--exec true`; the agents' CPU (reaped children) is
 * printed as a row of its own.
 *
 * Usage: deno task bench:profile [--scenario accepted|forged|duplicates|exec|verify-only]
 *        [--seconds 6] [--tree DIR]
 */
import { parseArgs } from "node:util";
import { drive, type LoadSummary, preAccept, ROOT, writeDeliveries } from "./load.ts";
import { cpuMicros, type ThreadTimes, threadTimes } from "./proc_stats.ts";
import { serveTaskV8Flags, startHookgate, startReference } from "./servers.ts";
import { countEventsByStatus } from "./stored_events.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    scenario: { type: "string", default: "accepted" },
    seconds: { type: "string", default: "6" },
    connections: { type: "string", default: "32" },
    // Another checkout's hookgate (e.g. the base of a change, for a before/after profile).
    tree: { type: "string" },
    functions: { type: "string", default: "20" },
  },
});

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The step a stack belongs to: its innermost hookgate module, else what ran. */
function stepOf(stack: ProfileNode[]): string {
  for (const node of stack) {
    const match = /\/lib\/([a-z_]+)\/([a-z_]+)\.ts/.exec(node.callFrame.url);
    // util/ holds unrelated helpers: name the file (hmac.ts is the WebCrypto verify).
    if (match) return match[1] === "util" ? `lib/util/${match[2]}.ts` : `lib/${match[1]}`;
  }
  const leaf = stack[0]?.callFrame;
  if (!leaf) return "(unknown)";
  if (leaf.functionName === "(garbage collector)") return "(garbage collector)";
  if (leaf.functionName === "(idle)") return "(idle)";
  if (leaf.functionName === "(program)") return "(native: V8 and the runtime)";
  if (/http|serve/i.test(leaf.url)) return "Deno.serve (HTTP glue)";
  return "runtime (other)";
}

function byStep(profile: CpuProfile): Map<string, number> {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const steps = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const stack: ProfileNode[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = nodes.get(at);
      if (node) stack.push(node);
    }
    const step = stepOf(stack);
    steps.set(step, (steps.get(step) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return steps;
}

/** A function's name and file, as the tables print it. */
function frameName(frame: ProfileNode["callFrame"]): string {
  const file = frame.url.slice(frame.url.lastIndexOf("/") + 1) || "native";
  return `${frame.functionName || "(anonymous)"} (${file})`;
}

/**
 * Stretches of at least `minMs` in which every sample saw the same stack (idle aside), named
 * by its innermost frame, the longest first: a frame that takes µs held for milliseconds
 * means the thread was off its CPU (or V8 collected garbage) meanwhile, and every request in
 * flight waited that long.
 */
function longStretches(profile: CpuProfile, minMs: number): { ms: number; frame: string }[] {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const stretches: { ms: number; frame: string }[] = [];
  let startUs = 0;
  let nowUs = 0;
  let current: number | undefined;
  const close = () => {
    const frame = current === undefined ? undefined : nodes.get(current)?.callFrame;
    const ms = (nowUs - startUs) / 1000;
    if (frame && frame.functionName !== "(idle)" && ms >= minMs) {
      stretches.push({ ms, frame: frameName(frame) });
    }
  };
  profile.samples.forEach((id, i) => {
    nowUs += profile.timeDeltas[i] ?? 0;
    if (id === current) return;
    close();
    current = id;
    startUs = nowUs;
  });
  close();
  return stretches.sort((a, b) => b.ms - a.ms);
}

/** Self time by function (name and file), the heaviest first: what the steps above are made of. */
function bySelf(profile: CpuProfile): [string, number][] {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id)?.callFrame;
    if (!frame || frame.functionName === "(idle)") return;
    const name = frameName(frame);
    self.set(name, (self.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return [...self].sort((a, b) => b[1] - a[1]);
}

async function main(): Promise<void> {
  const scenario = values.scenario;
  const seconds = Number(values.seconds);
  const tmp = await Deno.makeTempDir({ prefix: "hookgate-profile-" });
  const secret = "profile-secret-" + crypto.randomUUID();
  try {
    const file = `${tmp}/deliveries.tsv`;
    const signer = scenario === "forged" || scenario === "verify-only"
      ? "another-" + secret
      : secret;
    await writeDeliveries(file, scenario === "duplicates" ? 2_000 : 40_000 * seconds, {
      secret: signer,
    });
    const tree = values.tree === undefined ? ROOT : `${await Deno.realPath(values.tree)}/`;
    const denoFlags = [`--cpu-prof-dir=${tmp}/prof`];
    const server = scenario === "verify-only"
      ? await startReference("verify_only_server.ts", { WEBHOOK_SECRET: secret }, denoFlags)
      : await startHookgate({
        tree,
        dataDir: `${tmp}/data`,
        v8Flags: await serveTaskV8Flags(tree),
        denoFlags,
        env: { WEBHOOK_SECRET: secret },
        extra: scenario === "exec" ? ["--exec", "true"] : [],
      });
    let summary: LoadSummary;
    let before: Map<string, ThreadTimes>;
    let after: Map<string, ThreadTimes>;
    let reapedSpent: number;
    try {
      if (scenario === "duplicates") await preAccept(server.url, file);
      const reapedBefore = cpuMicros(server.pid, "reaped");
      before = threadTimes(server.pid);
      summary = await drive(server.url, file, {
        useWrk: true,
        threads: 1,
        connections: Number(values.connections),
        seconds,
      });
      after = threadTimes(server.pid);
      reapedSpent = cpuMicros(server.pid, "reaped") - reapedBefore;
    } finally {
      await server.stop();
    }
    const [profileFile] = [...Deno.readDirSync(`${tmp}/prof`)].map((e) => e.name);
    if (!profileFile) throw new Error("serve wrote no CPU profile");
    const profile = JSON.parse(
      await Deno.readTextFile(`${tmp}/prof/${profileFile}`),
    ) as CpuProfile;
    const perRequest = (us: number) => (us / summary.requests).toFixed(1);
    console.log(
      `${scenario}: ${summary.requests} requests in ${seconds} s ` +
        `(${Math.round(summary.requests / seconds)} req/s)`,
    );
    if (scenario === "exec") {
      // Every hand-off the server settled, the few it finished while stopping included.
      const settled = tree === ROOT
        ? await countEventsByStatus(`${tmp}/data`).then(({ done, dead }) => String(done + dead))
        : "not counted (another tree's store)";
      console.log(`handed off and settled: ${settled}`);
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

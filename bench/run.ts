/**
 * `deno task bench`: hookgate's full receive path side by side with a bare
 * Deno.serve, under the same pre-signed load from a separate process (wrk with
 * bench/deliveries.lua when installed, else bench/load_generator.ts).
 *
 * Absolute numbers drift on shared machines; the ratio to the bare reference in
 * the same run is the figure. Every `200 accepted` seen must be in the store.
 */
import { createHmac } from "node:crypto";
import { parseArgs } from "node:util";
import type { BenchReport, Measurement } from "./results_format.ts";
import { countStoredEvents } from "./stored_events.ts";
import { type RedisServer, startRedisServer } from "../tests/support/redis_server.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const SECRET = "bench-secret-" + crypto.randomUUID();
const FORGED_SECRET = "forged-secret-" + crypto.randomUUID();

const { values } = parseArgs({
  args: Deno.args,
  options: {
    duration: { type: "string", default: "10" },
    runs: { type: "string", default: "3" },
    connections: { type: "string", default: "32" },
    // Default: verify-only,accepted,forged,duplicates,exec,fleet (fleet only when redis-server is
    // installed). verify-only is a second reference: bare + one WebCrypto verify, nothing else.
    scenarios: { type: "string" },
    soak: { type: "string", default: "60" },
    // Longer than Deno's expiry sweep (about 60 s after the 10 s retention), so the series shows the plateau.
    "growth-seconds": { type: "string", default: "90" },
    // V8 flags for `hookgate serve`; by default those of deno.json's serve task, so the bench runs what users run.
    "serve-v8-flags": { type: "string" },
    generator: { type: "string", default: "auto" },
    threads: { type: "string", default: "2" },
    out: { type: "string", default: `${ROOT}bench/results/latest.json` },
  },
});

const durationSeconds = Number(values.duration);
const runs = Number(values.runs);
const connections = Number(values.connections);
/** wrk's default of 2 threads, as in design §8's baselines: load and server share the 2 cores. */
const wrkThreads = Number(values.threads);
const redisInstalled = await commandExists("redis-server");
const requested = values.scenarios?.split(",").filter(Boolean) ??
  ["verify-only", "accepted", "forged", "duplicates", "exec", "fleet"];
if (requested.includes("fleet") && !redisInstalled) {
  console.error(
    "bench: fleet not run: redis-server is not installed (apt-get install redis-server)",
  );
}
const scenarioNames = requested.filter((name) => name !== "fleet" || redisInstalled);
const serveV8Flags = values["serve-v8-flags"] ?? await serveTaskV8Flags();
const useWrk = values.generator === "wrk" ||
  (values.generator === "auto" && await commandExists("wrk"));

interface LoadSummary {
  requests: number;
  durationUs: number;
  p50Us: number;
  p99Us: number;
  statuses: Record<string, number>;
  accepted: number;
  duplicates: number;
  wrapped: number;
  socketErrors: number;
}

interface Server {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** The `--v8-flags=…` of deno.json's serve task, or "" when it has none. */
async function serveTaskV8Flags(): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)) as {
    tasks?: Record<string, string>;
  };
  const match = /--v8-flags=(\S+)/.exec(config.tasks?.serve ?? "");
  return match?.[1] ?? "";
}

async function commandExists(name: string): Promise<boolean> {
  try {
    const { code } = await new Deno.Command("sh", { args: ["-c", `command -v ${name}`] }).output();
    return code === 0;
  } catch {
    return false;
  }
}

async function startServer(args: string[], env: Record<string, string> = {}): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { ...env, NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
    const match = /listening on (http:\/\/[^\s]+)/.exec(seen);
    if (match) {
      // Keep draining stderr so the server never blocks on a full pipe.
      (async () => {
        while (!(await reader.read()).done);
      })().catch(() => {});
      const url = (match[1] as string).replace(/\/$/, "");
      return {
        url,
        pid: child.pid,
        async stop() {
          // serve drains gracefully on the first SIGTERM; with --exec and a backlog that can
          // take long, so a second SIGTERM and finally SIGKILL bound the wait (events are
          // durable either way: what was accepted is in the store).
          for (const signal of ["SIGTERM", "SIGTERM", "SIGKILL"] as const) {
            try {
              child.kill(signal);
            } catch { /* already gone */ }
            const exited = await Promise.race([
              child.status.then(() => true),
              new Promise<false>((resolve) => setTimeout(() => resolve(false), 10_000)),
            ]);
            if (exited) return;
          }
          await child.status;
        },
      };
    }
  }
  child.kill("SIGKILL");
  throw new Error(`server did not start: ${args.join(" ")}\n${seen}`);
}

function peakRssMb(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Math.round(Number(match[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

/** Writes `count` deliveries as TSV lines: timestamp, signature, body (unique ids). */
async function writeDeliveries(path: string, count: number, secret: string): Promise<void> {
  const ts = String(Math.floor(Date.now() / 1000));
  const tag = crypto.randomUUID().slice(0, 8);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const body = `{"id":"evt_${tag}_${i}","event":"push","repo":"demo","ref":"refs/heads/main"}`;
    const sig = createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex");
    lines.push(`${ts}\t${sig}\t${body}`);
  }
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
}

async function drive(
  url: string,
  deliveries: string,
  options: { seconds: number; threads?: number; connections?: number },
): Promise<LoadSummary> {
  const seconds = options.seconds;
  const threads = options.threads ?? wrkThreads;
  const conns = options.connections ?? connections;
  const command = useWrk
    ? new Deno.Command("wrk", {
      args: [
        `-t${threads}`,
        `-c${conns}`,
        `-d${seconds}s`,
        "-s",
        `${ROOT}bench/deliveries.lua`,
        url,
      ],
      env: { HOOKGATE_BENCH_DELIVERIES: deliveries, HOOKGATE_BENCH_THREADS: String(threads) },
      stdout: "piped",
      stderr: "piped",
    })
    : new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${ROOT}bench/load_generator.ts`,
        url,
        deliveries,
        String(conns),
        String(seconds),
      ],
      stdout: "piped",
      stderr: "piped",
    });
  const { stdout, stderr } = await command.output();
  const text = new TextDecoder().decode(stdout);
  const line = text.split("\n").find((l) => l.startsWith("BENCH_JSON "));
  if (!line) {
    throw new Error(
      `load generator printed no summary:\n${text}\n${new TextDecoder().decode(stderr)}`,
    );
  }
  return JSON.parse(line.slice("BENCH_JSON ".length)) as LoadSummary;
}

function hookgateArgs(dataDir: string, extra: string[] = []): string[] {
  return [
    "run",
    "-A",
    ...(serveV8Flags ? [`--v8-flags=${serveV8Flags}`] : []),
    `--config=${ROOT}deno.json`,
    `${ROOT}main.ts`,
    "serve",
    "--port",
    "0",
    "--data-dir",
    dataDir,
    ...extra,
  ];
}

async function preAccept(url: string, deliveries: string): Promise<void> {
  const lines = (await Deno.readTextFile(deliveries)).split("\n").filter(Boolean);
  for (let i = 0; i < lines.length; i += 32) {
    await Promise.all(
      lines.slice(i, i + 32).map(async (line) => {
        const [ts, sig, ...rest] = line.split("\t");
        const response = await fetch(url, {
          method: "POST",
          body: rest.join("\t"),
          headers: { "x-timestamp": ts as string, "x-signature": sig as string },
        });
        await response.body?.cancel();
      }),
    );
  }
}

async function measure(scenario: string, run: number, tmp: string): Promise<Measurement> {
  const dataDir = `${tmp}/${scenario}-${run}`;
  const file = `${tmp}/${scenario}-${run}.tsv`;
  // Enough unique deliveries that even the bare reference does not wrap around.
  const unique = Math.max(50_000, 40_000 * durationSeconds);
  const env = { WEBHOOK_SECRET: SECRET };
  let server: Server;
  if (scenario === "bare") {
    await writeDeliveries(file, unique, SECRET);
    server = await startServer(["run", "-A", `${ROOT}bench/bare_server.ts`, "0"]);
  } else if (scenario === "verify-only") {
    await writeDeliveries(file, unique, FORGED_SECRET);
    server = await startServer(["run", "-A", `${ROOT}bench/verify_only_server.ts`, "0"], env);
  } else if (scenario === "forged") {
    await writeDeliveries(file, unique, FORGED_SECRET);
    server = await startServer(hookgateArgs(dataDir), env);
  } else if (scenario === "duplicates") {
    await writeDeliveries(file, 2_000, SECRET);
    server = await startServer(hookgateArgs(dataDir), env);
    await preAccept(`${server.url}/webhook`, file);
  } else if (scenario === "exec") {
    await writeDeliveries(file, unique, SECRET);
    server = await startServer(hookgateArgs(dataDir, ["--exec", "true"]), env);
  } else {
    await writeDeliveries(file, unique, SECRET);
    server = await startServer(hookgateArgs(dataDir), env);
  }
  let summary: LoadSummary;
  let rss: number;
  try {
    summary = await drive(`${server.url}/webhook`, file, { seconds: durationSeconds });
    rss = peakRssMb(server.pid);
  } finally {
    await server.stop();
  }
  await Deno.remove(file);
  // Both are driven with deliveries signed by another secret: every one must be refused.
  const allForged = scenario === "forged" || scenario === "verify-only";
  const expected = allForged ? "401" : "200";
  const errors = summary.socketErrors + Object.entries(summary.statuses)
    .filter(([status]) => status !== expected).reduce((sum, [, n]) => sum + n, 0) +
    (scenario === "duplicates" ? summary.accepted : 0);
  const storedEvents = scenario === "accepted" || scenario === "exec"
    ? await countStoredEvents(dataDir)
    : null;
  if (storedEvents !== null && storedEvents < summary.accepted) {
    throw new Error(
      `${scenario}: ${summary.accepted} deliveries were answered 'accepted' but only ` +
        `${storedEvents} are in the store: events were lost`,
    );
  }
  if (allForged && summary.accepted > 0) {
    throw new Error(`${scenario}: ${summary.accepted} forged deliveries were accepted`);
  }
  return {
    scenario,
    run,
    rps: Math.round(summary.requests / (summary.durationUs / 1e6)),
    p50Ms: summary.p50Us / 1000,
    p99Ms: summary.p99Us / 1000,
    peakRssMb: rss,
    errors,
    ratio: null,
    accepted: summary.accepted,
    storedEvents,
  };
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function dirBytes(path: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(path)) {
    const info = await Deno.stat(`${path}/${entry.name}`);
    total += entry.isDirectory ? await dirBytes(`${path}/${entry.name}`) : info.size;
  }
  return total;
}

/** A run longer than the retention window (tolerance 5 s → 10 s): the store must stop growing. */
async function storeGrowth(tmp: string, seconds: number): Promise<{ t: number; mb: number }[]> {
  const dataDir = `${tmp}/growth`;
  const server = await startServer(hookgateArgs(dataDir, ["--tolerance", "5"]), {
    WEBHOOK_SECRET: SECRET,
  });
  const samples: { t: number; mb: number }[] = [];
  try {
    const load = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${ROOT}bench/load_generator.ts`,
        `${server.url}/webhook`,
        "-",
        "8",
        String(seconds),
      ],
      env: { HOOKGATE_BENCH_SECRET: SECRET },
      stdout: "null",
      stderr: "null",
    }).output();
    const started = Date.now();
    while (Date.now() - started < seconds * 1000) {
      await new Promise((resolve) => setTimeout(resolve, 5000));
      samples.push({
        t: Math.round((Date.now() - started) / 1000),
        mb: Math.round((await dirBytes(dataDir)) / 1e5) / 10,
      });
    }
    await load;
  } finally {
    await server.stop();
  }
  return samples;
}

function table(rows: Measurement[]): string {
  const header = "| scenario | req/s | ratio to bare | p50 ms | p99 ms | peak RSS MB | errors |";
  const lines = rows.map((r) =>
    `| ${r.scenario} | ${r.rps} | ${r.ratio === null ? "1.00" : r.ratio.toFixed(2)} | ` +
    `${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.peakRssMb} | ${r.errors} |`
  );
  return [header, "| --- | --- | --- | --- | --- | --- | --- |", ...lines].join("\n");
}

async function main(): Promise<void> {
  const loadAverageAtStart = Deno.loadavg();
  const tmp = await Deno.makeTempDir({ prefix: "hookgate-bench-" });
  const all: Measurement[] = [];
  console.error(
    `bench: ${runs} run(s) of ${durationSeconds} s, ${connections} connections, ` +
      `load from ${useWrk ? "wrk" : "the built-in generator"}, serve V8 flags: ` +
      `${serveV8Flags || "(none)"}`,
  );
  try {
    for (let run = 1; run <= runs; run++) {
      const bare = await measure("bare", run, tmp);
      all.push(bare);
      console.error(`run ${run}: bare ${bare.rps} req/s`);
      for (const scenario of scenarioNames) {
        const m = scenario === "fleet"
          ? await measureFleet(run, tmp)
          : await measure(scenario, run, tmp);
        m.ratio = m.rps / bare.rps;
        if (scenario === "fleet") {
          const kv = all.find((r) => r.scenario === "accepted" && r.run === run);
          m.ratioToAccepted = kv ? m.rps / kv.rps : null;
        }
        all.push(m);
        console.error(`run ${run}: ${scenario} ${m.rps} req/s (${m.ratio.toFixed(2)} x bare)`);
      }
    }
    const medians = ["bare", ...scenarioNames].map((scenario) => {
      const rows = all.filter((m) => m.scenario === scenario);
      return {
        scenario,
        run: 0,
        rps: median(rows.map((r) => r.rps)),
        p50Ms: median(rows.map((r) => r.p50Ms)),
        p99Ms: median(rows.map((r) => r.p99Ms)),
        peakRssMb: Math.max(...rows.map((r) => r.peakRssMb)),
        errors: rows.reduce((sum, r) => sum + r.errors, 0),
        ratio: scenario === "bare" ? null : median(rows.map((r) => r.ratio ?? 0)),
        accepted: rows.reduce((sum, r) => sum + r.accepted, 0),
        storedEvents: null,
        ...(scenario === "fleet"
          ? {
            instancesPeakRssMb: [0, 1].map((i) =>
              Math.max(...rows.map((r) => r.instancesPeakRssMb?.[i] ?? 0))
            ),
            ratioToAccepted: rows.some((r) => r.ratioToAccepted == null)
              ? null
              : median(rows.map((r) => r.ratioToAccepted ?? 0)),
          }
          : {}),
      } satisfies Measurement;
    });
    let soak: Measurement | null = null;
    if (Number(values.soak) > 0) {
      soak = await measureFor("accepted", Number(values.soak), tmp);
      console.error(`soak ${values.soak} s: peak RSS ${soak.peakRssMb} MB`);
    }
    const growth = Number(values["growth-seconds"]) > 0
      ? await storeGrowth(tmp, Number(values["growth-seconds"]))
      : [];
    const report: BenchReport = {
      date: new Date().toISOString(),
      generator: useWrk ? "wrk" : "builtin",
      wrkThreads: useWrk ? wrkThreads : null,
      serveV8Flags,
      cpus: navigator.hardwareConcurrency,
      loadAverageAtStart,
      durationSeconds,
      runs,
      connections,
      medians,
      runsDetail: all,
      soakSeconds: Number(values.soak),
      soak,
      growthSeconds: Number(values["growth-seconds"]),
      storeGrowthMb: growth,
    };
    await Deno.mkdir(new URL("results/", import.meta.url), { recursive: true });
    await Deno.writeTextFile(values.out, JSON.stringify(report, null, 2) + "\n");
    console.log(table(medians));
    const fleet = medians.find((m) => m.scenario === "fleet");
    if (fleet) {
      console.log(
        `\nfleet (2 instances + Redis, AOF always): ${fleet.rps} req/s = ` +
          `${fleet.ratioToAccepted?.toFixed(2) ?? "?"} x 1 instance + KV; peak RSS per instance ` +
          `${fleet.instancesPeakRssMb?.join(" / ")} MB`,
      );
    }
    if (soak) console.log(`\nsoak: ${values.soak} s accepted, peak RSS ${soak.peakRssMb} MB`);
    if (growth.length) {
      console.log(
        `store size (MB) every 5 s with --tolerance 5: ${growth.map((g) => g.mb).join(", ")}`,
      );
    }
    console.log(`\nwritten to ${values.out}`);
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * The fleet: one redis-server (AOF, appendfsync always) and two `serve --store redis://…`
 * instances, each driven by its own load process (half the connections, half of the same
 * pre-signed unique deliveries) at the same time. req/s are summed, p99 is the worse of the
 * two, and every `200 accepted` must be in Redis afterwards.
 */
async function measureFleet(run: number, tmp: string): Promise<Measurement> {
  const unique = Math.max(50_000, 40_000 * durationSeconds);
  const all = `${tmp}/fleet-${run}.tsv`;
  await writeDeliveries(all, unique, SECRET);
  const lines = (await Deno.readTextFile(all)).split("\n").filter(Boolean);
  await Deno.remove(all);
  const files = [0, 1].map((i) => `${tmp}/fleet-${run}-${i}.tsv`);
  for (const [i, file] of files.entries()) {
    await Deno.writeTextFile(file, lines.filter((_, n) => n % 2 === i).join("\n") + "\n");
  }
  const half = Math.max(1, Math.floor(connections / 2));
  const threads = Math.max(1, Math.floor(wrkThreads / 2));
  let redis: RedisServer | null = null;
  const servers: Server[] = [];
  try {
    redis = await startRedisServer();
    const url = redis.url;
    for (const i of [0, 1]) {
      servers.push(
        await startServer(
          hookgateArgs(`${tmp}/fleet-${run}-${i}`, ["--store", url]),
          { WEBHOOK_SECRET: SECRET },
        ),
      );
    }
    const summaries = await Promise.all(
      servers.map((server, i) =>
        drive(`${server.url}/webhook`, files[i] as string, {
          seconds: durationSeconds,
          threads,
          connections: half,
        })
      ),
    );
    const rss = servers.map((server) => peakRssMb(server.pid));
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    const accepted = summaries.reduce((sum, s) => sum + s.accepted, 0);
    // Counting every event is one long list() call: give it more than the request deadline.
    const storedEvents = await countStoredEvents(`${tmp}/fleet-${run}-0`, `${url}/0?timeout=120s`);
    if (storedEvents < accepted) {
      throw new Error(
        `fleet: ${accepted} deliveries were answered 'accepted' but only ${storedEvents} ` +
          `are in Redis: events were lost`,
      );
    }
    const errors = summaries.reduce(
      (sum, s) =>
        sum + s.socketErrors +
        Object.entries(s.statuses).filter(([status]) => status !== "200")
          .reduce((n, [, count]) => n + count, 0),
      0,
    );
    return {
      scenario: "fleet",
      run,
      rps: Math.round(
        summaries.reduce((sum, s) => sum + s.requests / (s.durationUs / 1e6), 0),
      ),
      // Not a true fleet median: the worse instance's, as the p99 is.
      p50Ms: Math.max(...summaries.map((s) => s.p50Us)) / 1000,
      p99Ms: Math.max(...summaries.map((s) => s.p99Us)) / 1000,
      peakRssMb: Math.max(...rss),
      errors,
      ratio: null,
      accepted,
      storedEvents,
      instancesPeakRssMb: rss,
      ratioToAccepted: null,
    };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await redis?.stop();
    for (const file of files) await Deno.remove(file).catch(() => {});
  }
}

/** One accepted-scenario measurement over a longer duration (the RSS soak). */
async function measureFor(scenario: string, seconds: number, tmp: string): Promise<Measurement> {
  const dataDir = `${tmp}/soak`;
  const file = `${tmp}/soak.tsv`;
  await writeDeliveries(file, Math.max(50_000, 25_000 * seconds), SECRET);
  const server = await startServer(hookgateArgs(dataDir), { WEBHOOK_SECRET: SECRET });
  try {
    const summary = await drive(`${server.url}/webhook`, file, { seconds });
    return {
      scenario: `${scenario}-soak`,
      run: 0,
      rps: Math.round(summary.requests / (summary.durationUs / 1e6)),
      p50Ms: summary.p50Us / 1000,
      p99Ms: summary.p99Us / 1000,
      peakRssMb: peakRssMb(server.pid),
      errors: summary.socketErrors,
      ratio: null,
      accepted: summary.accepted,
      storedEvents: null,
    };
  } finally {
    await server.stop();
    await Deno.remove(file);
  }
}

if (import.meta.main) await main();

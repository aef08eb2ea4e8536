/**
 * One measurement per scenario: start the server, warm it up with unmeasured load,
 * drive it with the same kind of load, read its CPU time and peak RSS, stop it, and
 * check that nothing it acknowledged was lost (every `200 accepted` must be in the
 * store) and that no forgery passed. bench/interleaved.ts reuses the same steps.
 */
import { type RedisServer, startRedisServer } from "../tests/support/redis_server.ts";
import {
  drive,
  type LoadSettings,
  type LoadSummary,
  preAccept,
  ROOT,
  type SigningStyle,
  writeDeliveries,
} from "./load.ts";
import { cpuMicros, peakRssMb } from "./proc_stats.ts";
import type { Measurement } from "./results_format.ts";
import {
  ADNANH_SECRET,
  RECEIVE_ONLY_FLAGS,
  type Server,
  startAdnanh,
  startFastapi,
  startHookgate,
  startReference,
} from "./servers.ts";
import { countEventRecords, countFloorEvents, countStoredEvents } from "./stored_events.ts";

export interface BenchContext {
  tmp: string;
  seconds: number;
  /** Unmeasured load on every server before its measured window (0: none). */
  warmupSeconds: number;
  load: LoadSettings;
  /** How hookgate runs: its V8 flags and the checkout it runs from. */
  hookgate: { v8Flags: string; tree: string };
  secret: string;
  forgedSecret: string;
  peersDir: string;
  /** A python3 with FastAPI, or null when the FastAPI peer cannot run. */
  python: string | null;
}

/** Scenarios whose every delivery is signed with another secret: all must be refused. */
const FORGED = new Set(["forged", "verify-only", "verify-only-hookgate"]);
/** Scenarios whose answers say `accepted`, checked against the store afterwards. */
const DURABLE = new Set([
  "accepted",
  "accepted-kv",
  "receive-only",
  "exec",
  "floor-kv",
  "floor-sqlite",
]);
/** The store spec of a hookgate scenario whose store is not the default. */
const STORE_OF: Record<string, string> = { "accepted-kv": "kv" };

/** Enough unique deliveries that even the bare reference does not wrap around. */
function uniqueCount(seconds: number): number {
  return Math.max(50_000, 40_000 * seconds);
}

/** How a scenario's deliveries are signed: forged, GitHub-style for adnanh, else the secret. */
function signingOf(scenario: string, ctx: BenchContext): { secret: string; style?: SigningStyle } {
  if (FORGED.has(scenario)) return { secret: ctx.forgedSecret };
  if (scenario === "adnanh") return { secret: ADNANH_SECRET, style: "github" };
  return { secret: ctx.secret };
}

/**
 * Writes the deliveries of `scenario` to `file` and starts its server; duplicates get
 * 2,000 deliveries, accepted before the server is handed back, to replay.
 */
export async function startFor(
  scenario: string,
  ctx: BenchContext,
  file: string,
): Promise<Server> {
  const env = { WEBHOOK_SECRET: ctx.secret };
  const dataDir = `${file}.data`;
  const count = scenario === "duplicates" ? 2_000 : uniqueCount(ctx.seconds);
  await writeDeliveries(file, count, signingOf(scenario, ctx));
  switch (scenario) {
    case "bare":
      return await startReference("bare_server.ts");
    case "verify-only":
      return await startReference("verify_only_server.ts", env);
    case "verify-only-hookgate":
      return await startReference("verify_only_server.ts", { ...env, REFERENCE_HMAC: "hookgate" });
    case "forged":
    case "accepted":
      return await startHookgate({ dataDir, ...ctx.hookgate, env });
    case "duplicates": {
      const server = await startHookgate({ dataDir, ...ctx.hookgate, env });
      await preAccept(server.url, file);
      return server;
    }
    case "accepted-kv":
      return await startHookgate({
        dataDir,
        ...ctx.hookgate,
        env,
        extra: ["--store", STORE_OF[scenario] as string],
      });
    case "receive-only":
      // The gates and the accept commit alone: no hand-off, no log line, no trace record.
      return await startHookgate({ dataDir, ...ctx.hookgate, env, extra: RECEIVE_ONLY_FLAGS });
    case "exec":
      return await startHookgate({ dataDir, ...ctx.hookgate, env, extra: ["--exec", "true"] });
    case "floor-kv":
    case "floor-sqlite":
      return await startReference("durable_floor_server.ts", {
        ...env,
        FLOOR_DATA: dataDir,
        FLOOR_ENGINE: scenario === "floor-kv" ? "kv" : "sqlite",
      });
    case "fastapi":
      if (!ctx.python) throw new Error("fastapi: no python3 with FastAPI");
      return await startFastapi(ctx.python, ctx.peersDir, ctx.secret);
    case "adnanh":
      return await startAdnanh(ctx.peersDir);
    default:
      throw new Error(`unknown scenario '${scenario}'`);
  }
}

/**
 * Loads a freshly started server for `ctx.warmupSeconds` before it is measured, so every
 * server is measured warm (JIT-compiled, its heap grown) as a long-running one is. Its own
 * deliveries (new ids, signed like the scenario's; duplicates replay theirs), so the
 * measured window replays none of them. Answers the warm-up's summary, or null without one.
 */
export async function warmUp(
  scenario: string,
  server: Server,
  file: string,
  ctx: BenchContext,
): Promise<LoadSummary | null> {
  if (ctx.warmupSeconds <= 0) return null;
  const warmFile = scenario === "duplicates" ? file : `${file}.warm`;
  if (warmFile !== file) {
    await writeDeliveries(warmFile, uniqueCount(ctx.warmupSeconds), signingOf(scenario, ctx));
  }
  try {
    const summary = await driveScenario(scenario, server, warmFile, ctx.warmupSeconds, ctx);
    checkForgeries(scenario, summary);
    return summary;
  } finally {
    if (warmFile !== file) await Deno.remove(warmFile).catch(() => {});
  }
}

/** Drives `server` with `file` for `seconds`, signed the way the scenario's server checks. */
export function driveScenario(
  scenario: string,
  server: Server,
  file: string,
  seconds: number,
  ctx: BenchContext,
): Promise<LoadSummary> {
  const { style } = signingOf(scenario, ctx);
  return drive(server.url, file, { ...ctx.load, seconds, ...(style ? { style } : {}) });
}

/** Throws when a scenario whose every delivery is forged had one accepted. */
export function checkForgeries(scenario: string, summary: LoadSummary): void {
  if (FORGED.has(scenario) && summary.accepted > 0) {
    throw new Error(`${scenario}: ${summary.accepted} forged deliveries were accepted`);
  }
}

export function errorsOf(scenario: string, summary: LoadSummary): number {
  const expected = FORGED.has(scenario) ? "401" : "200";
  return summary.socketErrors + Object.entries(summary.statuses)
    .filter(([status]) => status !== expected).reduce((sum, [, n]) => sum + n, 0) +
    (scenario === "duplicates" ? summary.accepted : 0);
}

/** Measures one scenario once. Throws when an acknowledged event is missing or a forgery passed. */
export async function measure(
  scenario: string,
  run: number,
  ctx: BenchContext,
): Promise<Measurement> {
  const file = `${ctx.tmp}/${scenario}-${run}.tsv`;
  const server = await startFor(scenario, ctx, file);
  let warm: LoadSummary | null;
  let summary: LoadSummary;
  let cpuUs: number;
  let rss: number;
  try {
    warm = await warmUp(scenario, server, file, ctx);
    const before = cpuMicros(server.pid);
    summary = await driveScenario(scenario, server, file, ctx.seconds, ctx);
    cpuUs = cpuMicros(server.pid) - before;
    rss = peakRssMb(server.pid);
  } finally {
    await server.stop();
  }
  await Deno.remove(file);
  checkForgeries(scenario, summary);
  // The warm-up's answers are checked like the measured ones (warmUp() checked its
  // forgeries): what it was told was accepted must be stored too.
  const accepted = summary.accepted + (warm?.accepted ?? 0);
  const storedEvents = !DURABLE.has(scenario)
    ? null
    : scenario.startsWith("floor-")
    ? await countFloorEvents(`${file}.data`)
    : ctx.hookgate.tree === ROOT || scenario in STORE_OF
    ? await countStoredEvents(`${file}.data`, STORE_OF[scenario])
    : await countEventRecords(`${file}.data`);
  if (storedEvents !== null && storedEvents < accepted) {
    throw new Error(
      `${scenario}: ${accepted} deliveries were answered 'accepted' but only ` +
        `${storedEvents} are in the store: events were lost`,
    );
  }
  return {
    scenario,
    run,
    rps: Math.round(summary.requests / (summary.durationUs / 1e6)),
    p50Ms: summary.p50Us / 1000,
    p99Ms: summary.p99Us / 1000,
    cpuUsPerRequest: summary.requests > 0 ? cpuUs / summary.requests : 0,
    peakRssMb: rss,
    errors: errorsOf(scenario, summary) + (warm === null ? 0 : errorsOf(scenario, warm)),
    accepted,
    storedEvents,
  };
}

/**
 * The fleet: one redis-server (AOF, appendfsync always) and two `serve --store redis://…`
 * instances, each driven by its own load process (half the connections, half of the same
 * pre-signed unique deliveries) at the same time. req/s are summed, p99 is the worse of the
 * two, CPU is both instances' (not Redis's), and every `200 accepted` must be in Redis.
 */
export async function measureFleet(run: number, ctx: BenchContext): Promise<Measurement> {
  const files = await halvedDeliveries(`${ctx.tmp}/fleet-${run}`, uniqueCount(ctx.seconds), ctx);
  const warmFiles = ctx.warmupSeconds > 0
    ? await halvedDeliveries(`${ctx.tmp}/fleet-${run}-warm`, uniqueCount(ctx.warmupSeconds), ctx)
    : [];
  const load = {
    ...ctx.load,
    connections: Math.max(1, Math.floor(ctx.load.connections / 2)),
    threads: Math.max(1, Math.floor(ctx.load.threads / 2)),
  };
  let redis: RedisServer | null = null;
  const servers: Server[] = [];
  try {
    redis = await startRedisServer();
    for (const i of [0, 1]) {
      servers.push(
        await startHookgate({
          dataDir: `${ctx.tmp}/fleet-${run}-${i}`,
          ...ctx.hookgate,
          env: { WEBHOOK_SECRET: ctx.secret },
          extra: ["--store", redis.url],
        }),
      );
    }
    const driveBoth = (these: string[], seconds: number) =>
      Promise.all(servers.map((server, i) => drive(server.url, these[i]!, { ...load, seconds })));
    const warm = warmFiles.length > 0 ? await driveBoth(warmFiles, ctx.warmupSeconds) : [];
    const before = servers.map((server) => cpuMicros(server.pid));
    const summaries = await driveBoth(files, ctx.seconds);
    const cpuUs = servers.reduce((sum, server, i) => sum + cpuMicros(server.pid) - before[i]!, 0);
    const rss = servers.map((server) => peakRssMb(server.pid));
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    const accepted = [...warm, ...summaries].reduce((sum, s) => sum + s.accepted, 0);
    // Counting every event is one long list() call: give it more than a request's deadline.
    const storedEvents = await countStoredEvents(
      `${ctx.tmp}/fleet-${run}-0`,
      `${redis.url}/0?timeout=120s`,
    );
    if (storedEvents < accepted) {
      throw new Error(
        `fleet: ${accepted} deliveries were answered 'accepted' but only ${storedEvents} ` +
          `are in Redis: events were lost`,
      );
    }
    const requests = summaries.reduce((sum, s) => sum + s.requests, 0);
    return {
      scenario: "fleet",
      run,
      rps: Math.round(summaries.reduce((sum, s) => sum + s.requests / (s.durationUs / 1e6), 0)),
      // Not a true fleet median: the worse instance's, as the p99 is.
      p50Ms: Math.max(...summaries.map((s) => s.p50Us)) / 1000,
      p99Ms: Math.max(...summaries.map((s) => s.p99Us)) / 1000,
      cpuUsPerRequest: requests > 0 ? cpuUs / requests : 0,
      peakRssMb: Math.max(...rss),
      errors: [...warm, ...summaries].reduce((sum, s) => sum + errorsOf("fleet", s), 0),
      accepted,
      storedEvents,
      instancesPeakRssMb: rss,
    };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await redis?.stop();
    for (const file of [...files, ...warmFiles]) await Deno.remove(file).catch(() => {});
  }
}

/** `count` unique deliveries signed with the secret, split between two files (one per instance). */
async function halvedDeliveries(
  prefix: string,
  count: number,
  ctx: BenchContext,
): Promise<string[]> {
  const all = `${prefix}.tsv`;
  await writeDeliveries(all, count, { secret: ctx.secret });
  const lines = (await Deno.readTextFile(all)).split("\n").filter(Boolean);
  await Deno.remove(all);
  const files = [0, 1].map((i) => `${prefix}-${i}.tsv`);
  for (const [i, file] of files.entries()) {
    await Deno.writeTextFile(file, lines.filter((_, n) => n % 2 === i).join("\n") + "\n");
  }
  return files;
}

/** One accepted measurement over a longer duration: the RSS soak. */
export async function measureSoak(seconds: number, ctx: BenchContext): Promise<Measurement> {
  return await measure("accepted", 0, { ...ctx, seconds }).then((m) => ({
    ...m,
    scenario: "accepted-soak",
  }));
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
export async function storeGrowth(
  seconds: number,
  ctx: BenchContext,
): Promise<{ t: number; mb: number }[]> {
  const dataDir = `${ctx.tmp}/growth`;
  const server = await startHookgate({
    dataDir,
    ...ctx.hookgate,
    env: { WEBHOOK_SECRET: ctx.secret },
    extra: ["--tolerance", "5"],
  });
  const samples: { t: number; mb: number }[] = [];
  try {
    const load = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./load_generator.ts", import.meta.url).pathname,
        server.url,
        "-",
        "8",
        String(seconds),
      ],
      env: { HOOKGATE_BENCH_SECRET: ctx.secret },
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

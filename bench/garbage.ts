/**
 * `deno task bench:garbage`: how much a refused request allocates, hookgate against the
 * verify-only reference. Each server runs with V8's `--trace-gc` under the same load
 * (wrk -t1 -c32, forged or replayed deliveries); every collection line gives the heap
 * before and after it, so what was allocated between two collections is the heap before
 * the second less the heap after the first. Summed over the run (start-up included, a
 * few collections) and divided by the requests answered: KB allocated per request, and
 * requests per young-generation collection (scavenge). The garbage a request makes is
 * CPU twice over: the collections on the JavaScript thread and V8's helper threads.
 *
 *   deno task bench:garbage [--seconds 6] [--scenario verify-only,forged,duplicates,accepted] [--tree DIR]
 *
 * `--tree DIR` runs another checkout's hookgate, to compare a change with its base.
 */
import { parseArgs } from "node:util";
import { drive, preAccept, ROOT, writeDeliveries } from "./load.ts";
import { type Server, serveTaskV8Flags, startHookgate, startServer } from "./servers.ts";

export interface GcTally {
  /** Young-generation collections. */
  scavenges: number;
  /** Full (mark-compact) collections. */
  fullCollections: number;
  /** MB allocated in all: each collection's heap before it, less the heap after the one before. */
  allocatedMb: number;
}

const GC_LINE =
  /: (Scavenge|Mark-Compact|Mark-Compact \(reduce\)|Minor Mark-Sweep) ([0-9.]+) \([0-9.]+\) -> ([0-9.]+) \([0-9.]+\) MB/;

/** Reads V8's `--trace-gc` output. */
export function tallyGcTrace(text: string): GcTally {
  let scavenges = 0;
  let fullCollections = 0;
  let allocatedMb = 0;
  let afterMb: number | null = null;
  for (const line of text.split("\n")) {
    const match = GC_LINE.exec(line);
    if (match === null) continue;
    const [, kind, before, after] = match;
    if (kind === "Scavenge" || kind === "Minor Mark-Sweep") scavenges++;
    else fullCollections++;
    if (afterMb !== null) allocatedMb += Math.max(0, Number(before) - afterMb);
    afterMb = Number(after);
  }
  return { scavenges, fullCollections, allocatedMb };
}

const SCENARIOS = ["verify-only", "forged", "duplicates", "accepted"];

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seconds: { type: "string", default: "6" },
      scenario: { type: "string", default: SCENARIOS.join(",") },
      tree: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      "Usage: deno task bench:garbage [--seconds N] [--scenario verify-only,forged,duplicates,accepted] " +
        "[--tree DIR]",
    );
    return;
  }
  const seconds = Number(values.seconds);
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error("--seconds: a whole number ≥ 1");
  const scenarios = values.scenario.split(",");
  for (const scenario of scenarios) {
    if (!SCENARIOS.includes(scenario)) {
      throw new Error(`--scenario: one of ${SCENARIOS.join(", ")}, not '${scenario}'`);
    }
  }
  const secret = `bench-${crypto.randomUUID()}`;
  const forgedSecret = `forged-${crypto.randomUUID()}`;
  const tmp = await Deno.makeTempDir({ prefix: "hookgate-garbage-" });
  const tree = values.tree === undefined ? ROOT : `${values.tree.replace(/\/$/, "")}/`;
  // The reference runs with the heap settings of the serve it is set beside, so the
  // collections compare.
  const serveFlags = await serveTaskV8Flags(tree);
  console.log(
    "| server | requests | scavenges | requests per scavenge | full collections | KB allocated / request |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  try {
    for (const scenario of scenarios) {
      const trace = `${tmp}/${scenario}.gc`;
      const file = `${tmp}/${scenario}.tsv`;
      const replay = scenario === "duplicates";
      const valid = replay || scenario === "accepted";
      await writeDeliveries(file, replay ? 2_000 : 50_000 * seconds, {
        secret: valid ? secret : forgedSecret,
      });
      const server: Server = scenario === "verify-only"
        ? await startServer(Deno.execPath(), [
          "run",
          "-A",
          `--v8-flags=--trace-gc${serveFlags ? `,${serveFlags}` : ""}`,
          `${ROOT}bench/verify_only_server.ts`,
          "0",
        ], { env: { WEBHOOK_SECRET: secret }, stdoutFile: trace })
        : await startHookgate({
          dataDir: `${tmp}/${scenario}.data`,
          tree,
          v8Flags: `--trace-gc${serveFlags ? `,${serveFlags}` : ""}`,
          env: { WEBHOOK_SECRET: secret },
          stdoutFile: trace,
        });
      let requests = 0;
      try {
        if (replay) await preAccept(server.url, file);
        const load = { useWrk: true, threads: 1, connections: 32, seconds };
        const summary = await drive(server.url, file, load);
        const expected = valid ? "200" : "401";
        if (summary.statuses[expected] !== summary.requests) {
          throw new Error(
            `${scenario}: answers other than ${expected}: ${JSON.stringify(summary.statuses)}`,
          );
        }
        requests = summary.requests;
      } finally {
        await server.stop();
      }
      const gc = tallyGcTrace(await Deno.readTextFile(trace));
      console.log(
        `| ${scenario} | ${requests} | ${gc.scavenges} | ${
          Math.round(requests / gc.scavenges)
        } | ` +
          `${gc.fullCollections} | ${(gc.allocatedMb * 1024 / requests).toFixed(1)} |`,
      );
    }
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();

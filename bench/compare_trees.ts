/**
 * `deno task bench:compare`: a change against its base, both under the same machine. The
 * verify-only reference and each scenario from each checkout run at once and take turns in
 * slices (bench/interleaved.ts), so a drift of the machine's speed lands on every row alike;
 * one-at-a-time runs minutes apart differ by more than most changes on the refusal path.
 * Prints server CPU µs per request summed over the slices, its ratio to the reference's, and
 * each round's figure.
 *
 *   deno task bench:compare --tree ../base [--tree .] [--scenarios forged,duplicates]
 *                           [--rounds 8] [--slice 2] [--warmup 2]
 *
 * Two copies of one checkout measured this way differ by about a µs per request: a smaller
 * difference between two trees is not shown by it.
 */
import { parseArgs } from "node:util";
import { measureInterleaved } from "./interleaved.ts";
import { ROOT } from "./load.ts";
import type { BenchContext } from "./scenarios.ts";
import { commandExists, defaultPeersDir, serveTaskV8Flags } from "./servers.ts";

const SCENARIOS = new Set(["forged", "duplicates", "accepted", "receive-only", "exec"]);

const { values } = parseArgs({
  args: Deno.args,
  options: {
    tree: { type: "string", multiple: true },
    scenarios: { type: "string", default: "forged,duplicates" },
    rounds: { type: "string", default: "8" },
    slice: { type: "string", default: "2" },
    warmup: { type: "string", default: "2" },
  },
});

function wholeNumber(flag: "rounds" | "slice" | "warmup", min: number): number {
  const n = Number(values[flag]);
  if (!Number.isInteger(n) || n < min) {
    console.error(`bench:compare: --${flag} takes a whole number of at least ${min}`);
    Deno.exit(64);
  }
  return n;
}

async function main(): Promise<void> {
  const rounds = wholeNumber("rounds", 1);
  const sliceSeconds = wholeNumber("slice", 1);
  const warmupSeconds = wholeNumber("warmup", 0);
  const scenarios = values.scenarios.split(",").filter(Boolean);
  const unknown = scenarios.filter((s) => !SCENARIOS.has(s));
  if (unknown.length > 0 || scenarios.length === 0) {
    console.error(
      `bench:compare: --scenarios takes some of ${[...SCENARIOS].join(", ")}` +
        (unknown.length > 0 ? `; not ${unknown.join(", ")}` : ""),
    );
    Deno.exit(64);
  }
  const trees: string[] = [];
  for (const tree of values.tree ?? []) {
    try {
      trees.push(`${await Deno.realPath(tree)}/`);
    } catch {
      console.error(`bench:compare: --tree ${tree} is not a directory here`);
      Deno.exit(66);
    }
  }
  if (trees.length === 0) {
    console.error(
      "bench:compare: give the base with --tree DIR (a checkout of it, e.g. git worktree add " +
        "../base HEAD~1); this checkout is compared with it",
    );
    Deno.exit(64);
  }
  if (trees.length === 1) trees.push(ROOT);
  const ctx: BenchContext = {
    tmp: await Deno.makeTempDir({ prefix: "hookgate-compare-" }),
    seconds: sliceSeconds,
    warmupSeconds,
    load: { useWrk: await commandExists("wrk"), threads: 1, connections: 32 },
    hookgate: { v8Flags: await serveTaskV8Flags(ROOT), tree: ROOT },
    secret: "bench-secret-" + crypto.randomUUID(),
    forgedSecret: "forged-secret-" + crypto.randomUUID(),
    peersDir: defaultPeersDir(),
    python: null,
  };
  const servers = [
    "verify-only",
    ...scenarios.flatMap((scenario) =>
      trees.map((tree) => ({ scenario, tree, label: `${scenario} ${tree}` }))
    ),
  ];
  console.error(
    `bench:compare: ${servers.length} servers, ${rounds} rounds of ${sliceSeconds} s each after ` +
      `${warmupSeconds} s of warm-up, load from ${
        ctx.load.useWrk ? "wrk -t1 -c32" : "the built-in generator"
      }`,
  );
  try {
    const result = await measureInterleaved(servers, { rounds, sliceSeconds }, ctx);
    const reference = result.rows[0]?.cpuUsPerRequest ?? 0;
    console.log(
      "| server | requests | CPU µs / request | × verify-only | per round (µs) | errors |",
    );
    console.log("| --- | ---: | ---: | ---: | --- | ---: |");
    for (const row of result.rows) {
      const perRound = row.perRoundCpuUs.map((us) => us === null ? "–" : us.toFixed(1));
      console.log(
        `| ${row.scenario} | ${row.requests} | ${row.cpuUsPerRequest.toFixed(2)} | ${
          reference > 0 ? (row.cpuUsPerRequest / reference).toFixed(3) : "–"
        } | ${perRound.join(", ")} | ${row.errors} |`,
      );
    }
  } finally {
    await Deno.remove(ctx.tmp, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();

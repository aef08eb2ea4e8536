/**
 * `deno task bench:kv-floor`: what Deno KV itself costs per durable event, with no
 * HTTP, no verify and no hookgate code: commits of 32 events each (about the group
 * commit's batch under 32 connections), one commit at a time, records shaped like
 * hookgate's (a 300-byte payload). It prints the process's CPU (every thread: the
 * JavaScript thread and SQLite's writer) per event for each engine of
 * bench/floor_engines.ts: Deno KV's claim, accept, and accept + settle, then accept +
 * settle through node:sqlite and through an append-only file.
 *
 * It also prints the wall time of the Deno KV accept commits (p50, p99, max): a request
 * answered 200 waits for its commit, and for the one ahead of it.
 *
 * Usage: deno task bench:kv-floor [--events 20000]
 */
import { parseArgs } from "node:util";
import {
  type FloorEngine,
  type KvVariant,
  openAppendLog,
  openDenoKv,
  openSqlite,
} from "./floor_engines.ts";
import { cpuMicros } from "./proc_stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { events: { type: "string", default: "20000" } },
});
const EVENTS = Number(values.events);
const BATCH = 32;
const payload = new TextEncoder().encode(
  JSON.stringify({ id: "evt_0000000000", type: "push", data: "x".repeat(260) }),
);

/** Wall time of each Deno KV accept commit of the last run, in ms. */
const commitMs: number[] = [];

/** Commits every batch of events to a fresh engine in a temp dir; CPU µs per event. */
async function perEvent(
  open: (dir: string) => FloorEngine | Promise<FloorEngine>,
): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "hookgate-store-floor-" });
  const engine = await open(dir);
  try {
    const before = cpuMicros(Deno.pid);
    for (let first = 0; first < EVENTS; first += BATCH) {
      const events = Array.from({ length: BATCH }, (_, i) => ({ key: `id:${first + i}`, payload }));
      const claimed = await engine.commit(events);
      if (claimed.includes(false)) throw new Error("a claim of a new key failed");
    }
    return (cpuMicros(Deno.pid) - before) / EVENTS;
  } finally {
    engine.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const denoKv = (variant: KvVariant) => (dir: string) => {
  commitMs.length = 0;
  return openDenoKv(`${dir}/floor.kv`, variant, (ms) => commitMs.push(ms));
};

console.log(`| ${EVENTS} events in commits of ${BATCH} | process CPU µs / event |`);
console.log("| --- | ---: |");
for (const variant of ["claim", "accept", "accept + settle"] as KvVariant[]) {
  console.log(`| Deno KV: ${variant} | ${(await perEvent(denoKv(variant))).toFixed(0)} |`);
}
// The last Deno KV run was accept + settle: its accept commits' latencies.
const kvCommitMs = [...commitMs];
console.log(
  `| node:sqlite: accept + settle | ${
    (await perEvent((dir) => openSqlite(`${dir}/floor.db`, true))).toFixed(0)
  } |`,
);
console.log(
  `| append-only file: accept + settle | ${
    (await perEvent((dir) => openAppendLog(`${dir}/floor.log`))).toFixed(0)
  } |`,
);
const sorted = kvCommitMs.sort((a, b) => a - b);
const at = (q: number) =>
  (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0)
    .toFixed(2);
console.log(
  `\nDeno KV accept commits of ${BATCH} (with settles between them), wall ms: ` +
    `p50 ${at(0.5)}, p99 ${at(0.99)}, p99.9 ${at(0.999)}, max ${at(1)}`,
);

/**
 * `deno task bench:kv-floor`: what Deno KV itself costs per durable event, with no
 * HTTP, no verify and no hookgate code: commits of 32 events each (about the group
 * commit's batch under 32 connections), one commit at a time, records shaped like
 * hookgate's (a 300-byte payload). It prints the process's CPU (every thread: the
 * JavaScript thread and SQLite's writer) per event for:
 *
 * - claim: one check + one set per event, the least any durable claim can write;
 * - accept: hookgate's accept commit (check, record, due key);
 * - accept + settle: that, plus the settle commit (check, done record, listed key,
 *   due key deleted): what every event handed off costs the store.
 *
 * For scale, the same accept + settle through two other engines a store could be
 * built on, in the same commits of 32, each commit durable before the next:
 *
 * - node:sqlite (WAL, synchronous=FULL): one prepared INSERT … ON CONFLICT DO NOTHING
 *   (the claim and the record) and one UPDATE (done) per event;
 * - an append-only file: one line per event and per verdict, one write and one
 *   fdatasync per commit — what an engine of our own could hope for at best.
 *
 * It also prints the wall time of the Deno KV accept commits (p50, p99, max): a request
 * answered 200 waits for its commit, and for the one ahead of it.
 *
 * Usage: deno task bench:kv-floor [--events 20000]
 */
import { DatabaseSync } from "node:sqlite";
import { closeSync, fdatasyncSync, openSync, writeSync } from "node:fs";
import { parseArgs } from "node:util";
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

function record(key: string, status: string) {
  const nowMs = Date.now();
  return {
    route: "webhook",
    key,
    id: key,
    receivedAtMs: nowMs,
    retentionMs: 86_400_000,
    attempt: status === "pending" ? 0 : 1,
    status,
    lastError: null,
    payload,
    blob: null,
    dueAtMs: nowMs,
    updatedAtMs: nowMs,
  };
}

type Variant = "claim" | "accept" | "accept + settle";

/** Wall time of each Deno KV accept commit of the last run, in ms. */
const commitMs: number[] = [];

/** One engine under test: commits of BATCH events from `first` on, each durable before the next. */
interface Engine {
  commit(first: number): void | Promise<void>;
  close(): void;
}

/** Runs `commit(first)` for each batch of events in a fresh temp dir; CPU µs per event. */
async function perEvent(open: (dir: string) => Engine | Promise<Engine>): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "hookgate-store-floor-" });
  const engine = await open(dir);
  try {
    const before = cpuMicros(Deno.pid);
    for (let first = 0; first < EVENTS; first += BATCH) await engine.commit(first);
    return (cpuMicros(Deno.pid) - before) / EVENTS;
  } finally {
    engine.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Deno KV with records and keys shaped like hookgate's, for `variant`'s commits. */
function denoKv(variant: Variant): (dir: string) => Promise<Engine> {
  return async (dir) => {
    commitMs.length = 0;
    const kv = await Deno.openKv(`${dir}/floor.kv`);
    return {
      async commit(first) {
        const keys = Array.from(
          { length: BATCH },
          (_, i) => `id:${first + i}-${crypto.randomUUID()}`,
        );
        const accept = kv.atomic();
        for (const key of keys) {
          const pending = record(key, "pending");
          accept.check({ key: ["hookgate", "event", "webhook", key], versionstamp: null });
          accept.set(["hookgate", "event", "webhook", key], pending);
          if (variant !== "claim") {
            accept.set(["hookgate", "due", pending.dueAtMs, "webhook", key], pending);
          }
        }
        const startedMs = performance.now();
        const accepted = await accept.commit();
        commitMs.push(performance.now() - startedMs);
        if (!accepted.ok || variant !== "accept + settle") return;
        const settle = kv.atomic();
        for (const key of keys) {
          const done = record(key, "done");
          const expireIn = done.retentionMs;
          settle.check({
            key: ["hookgate", "event", "webhook", key],
            versionstamp: accepted.versionstamp,
          });
          settle.set(["hookgate", "event", "webhook", key], done, { expireIn });
          settle.set(["hookgate", "listed", "done", done.receivedAtMs, "webhook", key], 1, {
            expireIn,
          });
          settle.delete(["hookgate", "due", done.dueAtMs, "webhook", key]);
        }
        await settle.commit();
      },
      close: () => kv.close(),
    };
  };
}

function sqlite(dir: string) {
  const db = new DatabaseSync(`${dir}/floor.db`);
  db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
    CREATE TABLE event(route TEXT, key TEXT, id TEXT, payload BLOB, received INTEGER,
      status INTEGER, due INTEGER, lease TEXT, PRIMARY KEY (route, key)) WITHOUT ROWID;
    CREATE INDEX due ON event(due) WHERE status = 0;`);
  const claim = db.prepare(
    "INSERT INTO event VALUES ('webhook', ?, ?, ?, ?, 0, ?, ?) ON CONFLICT DO NOTHING",
  );
  const done = db.prepare(
    "UPDATE event SET status = 1, due = NULL WHERE route = 'webhook' " +
      "AND key = ? AND lease = ?",
  );
  const inCommit = (work: () => void) => {
    db.exec("BEGIN IMMEDIATE");
    work();
    db.exec("COMMIT");
  };
  return {
    commit(first: number) {
      const keys = Array.from({ length: BATCH }, (_, i) => `id:${first + i}`);
      inCommit(() => {
        for (const key of keys) {
          if (claim.run(key, key, payload, Date.now(), Date.now(), key).changes !== 1) {
            throw new Error("claim failed");
          }
        }
      });
      inCommit(() => keys.forEach((key) => done.run(key, key)));
    },
    close: () => db.close(),
  };
}

function appendLog(dir: string) {
  const fd = openSync(`${dir}/floor.log`, "a");
  const encoder = new TextEncoder();
  const append = (lines: string[]) => {
    writeSync(fd, encoder.encode(lines.join("")));
    fdatasyncSync(fd);
  };
  const body = new TextDecoder().decode(payload);
  return {
    commit(first: number) {
      const keys = Array.from({ length: BATCH }, (_, i) => `id:${first + i}`);
      append(keys.map((key) => `A\twebhook\t${key}\t${Date.now()}\t${body}\n`));
      append(keys.map((key) => `D\twebhook\t${key}\t${Date.now()}\n`));
    },
    close: () => closeSync(fd),
  };
}

console.log(`| ${EVENTS} events in commits of ${BATCH} | process CPU µs / event |`);
console.log("| --- | ---: |");
for (const variant of ["claim", "accept", "accept + settle"] as Variant[]) {
  console.log(`| Deno KV: ${variant} | ${(await perEvent(denoKv(variant))).toFixed(0)} |`);
}
// The last Deno KV run was accept + settle: its accept commits' latencies.
const kvCommitMs = [...commitMs];
console.log(`| node:sqlite: accept + settle | ${(await perEvent(sqlite)).toFixed(0)} |`);
console.log(`| append-only file: accept + settle | ${(await perEvent(appendLog)).toFixed(0)} |`);
const sorted = kvCommitMs.sort((a, b) => a - b);
const at = (q: number) =>
  (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0)
    .toFixed(2);
console.log(
  `\nDeno KV accept commits of ${BATCH} (with settles between them), wall ms: ` +
    `p50 ${at(0.5)}, p99 ${at(0.99)}, p99.9 ${at(0.999)}, max ${at(1)}`,
);

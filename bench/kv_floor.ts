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
 * Usage: deno task bench:kv-floor [--events 20000]
 */
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

async function measure(variant: Variant): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "hookgate-kv-floor-" });
  const kv = await Deno.openKv(`${dir}/floor.kv`);
  try {
    const before = cpuMicros(Deno.pid);
    for (let first = 0; first < EVENTS; first += BATCH) {
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
      const accepted = await accept.commit();
      if (!accepted.ok || variant !== "accept + settle") continue;
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
    }
    return (cpuMicros(Deno.pid) - before) / EVENTS;
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}

console.log(`| Deno KV, ${EVENTS} events in commits of ${BATCH} | process CPU µs / event |`);
console.log("| --- | ---: |");
for (const variant of ["claim", "accept", "accept + settle"] as Variant[]) {
  console.log(`| ${variant} | ${(await measure(variant)).toFixed(0)} |`);
}

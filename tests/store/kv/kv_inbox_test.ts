/**
 * The KV store's inbox beyond the shared contract: lease renewal for long
 * hand-offs, lock retry on every read-modify-commit, the status index, and
 * the hand-off of events a stopped consumer had leased.
 */
import assert from "node:assert/strict";
import type { IncomingEvent } from "../../../lib/store/mod.ts";
import { INLINE_PAYLOAD_BYTES } from "../../../lib/store/kv/mod.ts";
import { instrumentedStore, kvFile } from "../../support/kv_store.ts";

const POLICY = { maxAttempts: 3, retryDelayMs: () => 0 };

function event(key: string, payload = new TextEncoder().encode(`{"id":"${key}"}`)): IncomingEvent {
  return {
    route: "webhook",
    key,
    id: key,
    payload,
    receivedAtMs: Date.now(),
    retentionMs: 600_000,
  };
}

Deno.test("KvEventStore.consume() renews a long hand-off's lease: nobody else gets its event", async () => {
  await using file = await kvFile("hookgate-kv-inbox-");
  await using kv = await instrumentedStore(file.path, { leaseMs: 300 });
  const { store } = kv;
  await store.accept(event("long"));
  const stop = new AbortController();
  let started!: () => void;
  const running = new Promise<void>((resolve) => started = resolve);
  let handedOut = 0;
  const consuming = store.consume(async () => {
    handedOut++;
    started();
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    return { ok: true };
  }, { signal: stop.signal, concurrency: 1, ...POLICY });
  await running;
  // Four lease times pass while the handler runs; the event is never free.
  const others = [];
  for (let i = 0; i < 5; i++) {
    others.push(await store.lease({ leaseMs: 30_000, waitMs: 0 }));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.deepEqual(others, [null, null, null, null, null]);
  const deadline = Date.now() + 10_000;
  while ((await store.get("webhook", "long"))?.status !== "done" && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  stop.abort();
  await consuming;
  const done = await store.get("webhook", "long");
  assert.equal(done?.status, "done");
  assert.equal(done?.attempt, 1);
  assert.equal(handedOut, 1);
});

Deno.test("KvEventStore retries 'database is locked' in lease, settle, redeliver and sweep", async () => {
  await using file = await kvFile("hookgate-kv-inbox-");
  let now = Date.now();
  await using kv = await instrumentedStore(file.path, { now: () => now });
  const { store, control } = kv;
  await store.accept(event("e1"));
  control.lockedFailuresLeft = 2;
  const lease = await store.lease({ leaseMs: 30_000, waitMs: 0 });
  assert.ok(lease);
  control.lockedFailuresLeft = 2;
  const held = { route: "webhook", key: "e1", leaseId: lease.leaseId };
  assert.equal(await store.settle(held, { ok: false, error: "x", retry: false }, POLICY), "dead");
  control.lockedFailuresLeft = 2;
  assert.equal(await store.redeliver("webhook", "e1"), "redelivered");
  assert.equal((await store.get("webhook", "e1"))?.status, "pending");
  // A large duplicate from another process leaves orphaned chunks for the sweep.
  const payload = new Uint8Array(INLINE_PAYLOAD_BYTES * 2).fill(7);
  await using other = await instrumentedStore(file.path, { now: () => now });
  assert.equal(await store.accept(event("big", payload)), "accepted");
  assert.equal(await other.store.accept(event("big", payload)), "duplicate");
  now += 11 * 60_000;
  control.lockedFailuresLeft = 2;
  assert.equal(await store.sweep(), 1);
  assert.equal(control.lockedFailuresLeft, 0);
});

Deno.test("KvEventStore.list() answers from the status index, newest first, without the payloads of others", async () => {
  await using file = await kvFile("hookgate-kv-inbox-");
  await using kv = await instrumentedStore(file.path);
  const { store } = kv;
  for (let i = 0; i < 30; i++) {
    await store.accept({ ...event(`e${i}`), receivedAtMs: 1_000 + i });
  }
  for (let i = 0; i < 3; i++) {
    const lease = await store.lease({ leaseMs: 30_000, waitMs: 0 });
    assert.ok(lease);
    const held = { route: "webhook", key: lease.event.key, leaseId: lease.leaseId };
    await store.settle(held, { ok: false, error: "bad", retry: false }, POLICY);
  }
  const dead = await store.list({ status: "dead", limit: 10 });
  assert.deepEqual(dead.map((e) => e.key), ["e2", "e1", "e0"]);
  const pending = await store.list({ status: "pending", limit: 2 });
  assert.deepEqual(pending.map((e) => e.key), ["e29", "e28"]);
  const raw = await Deno.openKv(file.path);
  try {
    let listed = 0;
    for await (const _ of raw.list({ prefix: ["hookgate", "listed", "dead"] })) listed++;
    assert.equal(listed, 3);
  } finally {
    raw.close();
  }
});

Deno.test("KvEventStore: events a stopped consumer leased but never started are due again at once", async () => {
  await using file = await kvFile("hookgate-kv-inbox-");
  await using kv = await instrumentedStore(file.path);
  const { store } = kv;
  // Fast hand-offs first, so the consumer leases ahead; then ones that block.
  for (let i = 0; i < 5; i++) await store.accept(event(`fast${i}`));
  for (let i = 0; i < 5; i++) await store.accept(event(`q${i}`));
  const stop = new AbortController();
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => release = resolve);
  const consuming = store.consume(async (stored, { signal }) => {
    if (stored.key.startsWith("fast")) return { ok: true };
    await Promise.race([blocked, new Promise((r) => signal.addEventListener("abort", r))]);
    return { ok: true };
  }, { signal: stop.signal, concurrency: 1, graceMs: 0, ...POLICY });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const raw = await Deno.openKv(file.path);
  let held = 0;
  try {
    for await (
      const due of raw.list<{ leaseId?: string | null }>({ prefix: ["hookgate", "due"] })
    ) {
      if (typeof due.value.leaseId === "string") held++;
    }
  } finally {
    raw.close();
  }
  assert.ok(held > 1, `the consumer leased ${held} event(s) ahead; the test needs more`);
  stop.abort();
  await consuming;
  release();
  // Nothing was settled; every event is free now (no lease time to wait out).
  const leased = [];
  for (let i = 0; i < 5; i++) leased.push(await store.lease({ leaseMs: 30_000, waitMs: 0 }));
  assert.ok(
    leased.every((lease) => lease !== null),
    "an event was still held by the stopped consumer",
  );
  assert.deepEqual(leased.map((lease) => lease?.event.key).sort(), ["q0", "q1", "q2", "q3", "q4"]);
  // Attempts count only hand-offs that began: the one cut short, not the ones never started.
  assert.deepEqual(leased.map((lease) => lease?.event.attempt).sort(), [1, 1, 1, 1, 2]);
});

import assert from "node:assert/strict";
import type { IncomingEvent, StoredEvent } from "../../../lib/store/mod.ts";
import { utf8 } from "../../../lib/util/mod.ts";
import { waitFor } from "../../support/wait.ts";
import { BATCH_MAX_EVENTS, INLINE_PAYLOAD_BYTES } from "../../../lib/store/kv/mod.ts";
import {
  countKeys,
  handOutOne,
  heldStore,
  instrumentedStore,
  kvFile,
  openKvStore,
  untilStatus,
} from "../../support/kv_store.ts";

const T0 = 1_700_000_000_000;

function event(key: string, payload: Uint8Array = utf8(`{"id":"${key}"}`)): IncomingEvent {
  return { route: "webhook", key, id: key, payload, receivedAtMs: T0, retentionMs: 600_000 };
}

function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

Deno.test("KvEventStore.accept() accepts a new key and reports the same key as duplicate", async () => {
  await using file = await kvFile();
  await using store = await openKvStore(file.path);
  assert.equal(await store.accept(event("e1")), "accepted");
  assert.equal(await store.accept(event("e1")), "duplicate");
  assert.equal(await store.accept(event("e2")), "accepted");
});

Deno.test("KvEventStore keeps claims across a restart", async () => {
  await using file = await kvFile();
  const first = await openKvStore(file.path);
  assert.equal(await first.accept(event("e1")), "accepted");
  await first.close();
  await using second = await openKvStore(file.path);
  assert.equal(await second.accept(event("e1")), "duplicate");
});

Deno.test("KvEventStore.accept() of 50 concurrent identical events accepts exactly one", async () => {
  await using file = await kvFile();
  await using store = await openKvStore(file.path);
  const outcomes = await Promise.all(
    Array.from({ length: 50 }, () => store.accept(event("same"))),
  );
  assert.equal(outcomes.filter((o) => o === "accepted").length, 1);
  assert.equal(outcomes.filter((o) => o === "duplicate").length, 49);
});

Deno.test("KvEventStore group commit puts concurrent accepts into few commits", async () => {
  await using file = await kvFile();
  await using kv = await instrumentedStore(file.path);
  const { store, control } = kv;
  const outcomes = await Promise.all(
    Array.from({ length: 200 }, (_, i) => store.accept(event(`e${i}`))),
  );
  assert.ok(outcomes.every((o) => o === "accepted"));
  assert.ok(control.commits <= 10, `${control.commits} commits for 200 events`);
  assert.equal((await store.list({ status: "pending", limit: 1000 })).length, 200);
});

Deno.test("KvEventStore group commit falls back per event when one key is taken", async () => {
  await using file = await kvFile();
  await using store = await openKvStore(file.path);
  assert.equal(await store.accept(event("b")), "accepted");
  const outcomes = await Promise.all(
    ["a", "b", "c", "b", "d"].map((k) => store.accept(event(k))),
  );
  assert.deepEqual(outcomes, ["accepted", "duplicate", "accepted", "duplicate", "accepted"]);
});

Deno.test("KvEventStore answers replays unknown to this process by reads, in few commits", async () => {
  await using file = await kvFile();
  const first = await openKvStore(file.path);
  await Promise.all(Array.from({ length: 60 }, (_, i) => first.accept(event(`old${i}`))));
  await first.close();
  // A restarted process: the claims are on disk, not in memory.
  await using kv = await instrumentedStore(file.path);
  const { store, control } = kv;
  const keys = Array.from({ length: 60 }, (_, i) => `old${i}`);
  keys.splice(30, 0, "new1", "new2");
  const outcomes = await Promise.all(keys.map((k) => store.accept(event(k))));
  assert.deepEqual(
    outcomes,
    keys.map((k) => k.startsWith("new") ? "accepted" : "duplicate"),
  );
  // Not one commit per replay: failed group commits, then one for the new keys.
  assert.ok(control.commits <= 8, `${control.commits} commits for 62 events`);
  assert.equal((await store.list({ status: "pending", limit: 1000 })).length, 62);
});

Deno.test("KvEventStore batches stay within one commit's size limit (100 × 40 KiB)", async () => {
  await using file = await kvFile();
  await using store = await openKvStore(file.path);
  const outcomes = await Promise.all(
    Array.from(
      { length: BATCH_MAX_EVENTS },
      (_, i) => store.accept(event(`big${i}`, randomBytes(40 * 1024))),
    ),
  );
  assert.ok(outcomes.every((o) => o === "accepted"));
});

Deno.test("KvEventStore.accept() does not resolve before its commit resolved", async () => {
  await using file = await kvFile();
  await using kv = await heldStore(file.path, 1);
  const { store, control } = kv;
  let settled = 0;
  const first = store.accept(event("h1")).finally(() => settled++);
  assert.ok(await waitFor(() => control.committing > 0), "the first commit never began");
  // These queue up behind the held commit and go into the next (group) commit.
  const rest = ["h2", "h3", "h4"].map((k) => store.accept(event(k)).finally(() => settled++));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(settled, 0);
  assert.equal(control.commits, 0);
  kv.release();
  assert.deepEqual(await Promise.all([first, ...rest]), [
    "accepted",
    "accepted",
    "accepted",
    "accepted",
  ]);
  assert.equal(control.commits, 2);
});

Deno.test("KvEventStore retries 'database is locked' and then accepts", async () => {
  await using file = await kvFile();
  await using kv = await instrumentedStore(file.path);
  kv.control.lockedFailuresLeft = 3;
  assert.equal(await kv.store.accept(event("e1")), "accepted");
  assert.equal(await kv.store.accept(event("e1")), "duplicate");
  assert.equal(kv.control.lockedFailuresLeft, 0);
});

Deno.test("KvEventStore.accept() rejects, never accepts, when the lock never clears", async () => {
  await using file = await kvFile();
  await using kv = await instrumentedStore(file.path);
  kv.control.lockedFailuresLeft = 1_000;
  await assert.rejects(kv.store.accept(event("e1")), /database is locked/);
  kv.control.lockedFailuresLeft = 0;
  assert.equal(await kv.store.get("webhook", "e1"), null);
});

Deno.test("KvEventStore treats an expired claim as absent once its event is done", async () => {
  let now = T0;
  await using file = await kvFile();
  await using store = await openKvStore(file.path, { now: () => now });
  assert.equal(await store.accept({ ...event("e1"), retentionMs: 1000 }), "accepted");
  assert.deepEqual((await handOutOne(store)).map((e) => e.key), ["e1"]);
  await untilStatus(store, "e1", "done");
  now = T0 + 999;
  assert.equal(await store.accept({ ...event("e1"), retentionMs: 1000 }), "duplicate");
  now = T0 + 1001;
  assert.equal(
    await store.accept({ ...event("e1"), retentionMs: 1000, receivedAtMs: now }),
    "accepted",
  );
});

Deno.test("KvEventStore: the inbox record is the claim, also for a process that has not seen it", async () => {
  let now = T0;
  await using file = await kvFile();
  const path = file.path;
  await using store = await openKvStore(path, { now: () => now });
  assert.equal(await store.accept({ ...event("e1"), retentionMs: 1000 }), "accepted");
  // The record is the claim (no second claim key); beside it only its inbox key.
  assert.equal(await countKeys(path, ["hookgate", "event"]), 1);
  assert.equal(await countKeys(path, ["hookgate", "due"]), 1);
  assert.equal(await countKeys(path, ["hookgate"]), 2);
  assert.deepEqual((await handOutOne(store)).map((e) => e.key), ["e1"]);
  await untilStatus(store, "e1", "done");
  // Fresh stores on the same file: nothing in memory, only the record decides.
  for (const [at, expected] of [[T0 + 999, "duplicate"], [T0 + 1001, "accepted"]] as const) {
    now = at;
    await using other = await openKvStore(path, { now: () => now });
    assert.equal(
      await other.accept({ ...event("e1"), retentionMs: 1000, receivedAtMs: now }),
      expected,
      `at +${at - T0} ms`,
    );
  }
  // The replacement is pending again and holds the key past any retention.
  now = T0 + 60_000;
  await using later = await openKvStore(path, { now: () => now });
  assert.equal(await later.accept({ ...event("e1"), receivedAtMs: now }), "duplicate");
  assert.equal((await later.get("webhook", "e1"))?.status, "pending");
});

Deno.test("KvEventStore keeps an expired claim whose event is still pending", async () => {
  let now = T0;
  await using file = await kvFile();
  await using store = await openKvStore(file.path, { now: () => now });
  assert.equal(await store.accept({ ...event("e1"), retentionMs: 1000 }), "accepted");
  now = T0 + 5000;
  assert.equal(await store.accept({ ...event("e1"), receivedAtMs: now }), "duplicate");
});

Deno.test("KvEventStore stores a 1 MiB payload whole, byte for byte", async () => {
  await using file = await kvFile();
  await using store = await openKvStore(file.path);
  const payload = randomBytes(1024 * 1024);
  assert.equal(await store.accept(event("big", payload)), "accepted");
  const stored = await store.get("webhook", "big");
  assert.ok(stored);
  assert.equal(stored.payload.length, payload.length);
  assert.deepEqual(stored.payload, payload);
  assert.equal(await store.accept(event("big", payload)), "duplicate");
});

Deno.test("KvEventStore sweeps the chunks of a large duplicate, keeps the accepted ones", async () => {
  await using file = await kvFile();
  const path = file.path;
  let now = T0;
  {
    await using store = await openKvStore(path, { now: () => now });
    // Another process on the same file: it has not seen the claim, so it writes chunks first.
    await using other = await openKvStore(path, { now: () => now });
    const payload = randomBytes(INLINE_PAYLOAD_BYTES * 3);
    assert.equal(await store.accept(event("big", payload)), "accepted");
    assert.equal(await other.accept(event("big", payload)), "duplicate");
    assert.equal(await countKeys(path, ["hookgate", "blob"]), 6);
    now = T0 + 11 * 60_000;
    assert.equal(await store.sweep(), 1);
    assert.deepEqual((await store.get("webhook", "big"))?.payload, payload);
  }
  assert.equal(await countKeys(path, ["hookgate", "orphan"]), 0);
  assert.equal(await countKeys(path, ["hookgate", "blob"]), 3);
});

Deno.test("KvEventStore answers a known duplicate without touching the store", async () => {
  await using file = await kvFile();
  await using kv = await instrumentedStore(file.path, { now: () => T0 });
  const { store, control } = kv;
  assert.equal(await store.accept(event("seen")), "accepted");
  const commits = control.commits;
  control.lockedFailuresLeft = 1_000;
  assert.equal(await store.accept(event("seen")), "duplicate");
  assert.equal(control.commits, commits);
  control.lockedFailuresLeft = 0;
});

Deno.test("KvEventStore.consume() hands each accepted event to the handler once", async () => {
  await using file = await kvFile();
  await using store = await openKvStore(file.path);
  const stop = new AbortController();
  for (const k of ["a", "b", "c"]) await store.accept(event(k));
  await store.accept(event("a"));
  const seen: StoredEvent[] = [];
  const consuming = store.consume((e) => {
    seen.push(e);
    if (seen.length === 3) setTimeout(() => stop.abort(), 100);
    return Promise.resolve({ ok: true });
  }, { signal: stop.signal, maxAttempts: 3, retryDelayMs: () => 10, concurrency: 2 });
  await consuming;
  assert.deepEqual(seen.map((e) => e.key).sort(), ["a", "b", "c"]);
  assert.ok(seen.every((e) => e.attempt === 1));
  assert.deepEqual(seen.find((e) => e.key === "a")?.payload, utf8('{"id":"a"}'));
  for (const k of ["a", "b", "c"]) await untilStatus(store, k, "done");
  assert.equal((await store.list({ status: "done", limit: 10 })).length, 3);
  assert.equal((await store.list({ status: "pending", limit: 10 })).length, 0);
});

Deno.test("KvEventStore.consume() retries a failing handler, then dead-letters; redeliver revives it", async () => {
  await using file = await kvFile();
  await using store = await openKvStore(file.path);
  const stop = new AbortController();
  await store.accept(event("flaky"));
  const attempts: number[] = [];
  let succeed = false;
  const consuming = store.consume((e) => {
    attempts.push(e.attempt);
    return Promise.resolve(succeed ? { ok: true } : { ok: false, error: "exit 1" });
  }, { signal: stop.signal, maxAttempts: 3, retryDelayMs: (n) => 10 * n, concurrency: 1 });
  try {
    await untilStatus(store, "flaky", "dead");
    assert.deepEqual(attempts, [1, 2, 3]);
    const dead = await store.list({ status: "dead", limit: 10 });
    assert.equal(dead[0]?.lastError, "exit 1");
    succeed = true;
    assert.equal(await store.redeliver("webhook", "flaky"), "redelivered");
    await untilStatus(store, "flaky", "done");
    assert.deepEqual(attempts, [1, 2, 3, 1]);
    assert.equal(await store.redeliver("webhook", "unknown"), "unknown");
  } finally {
    stop.abort();
    await consuming;
  }
});

Deno.test("KvEventStore delivers an event accepted before a restart (the inbox persists)", async () => {
  await using file = await kvFile();
  const first = await openKvStore(file.path);
  await first.accept(event("survivor"));
  await first.close();
  await using second = await openKvStore(file.path);
  assert.deepEqual((await handOutOne(second)).map((e) => e.key), ["survivor"]);
});

Deno.test("KvEventStore.consume() runs at most `concurrency` handlers at once", async () => {
  await using file = await kvFile();
  await using store = await openKvStore(file.path);
  const stop = new AbortController();
  for (let i = 0; i < 6; i++) await store.accept(event(`c${i}`));
  let running = 0;
  let peak = 0;
  let done = 0;
  await store.consume(async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 20));
    running--;
    if (++done === 6) stop.abort();
    return { ok: true };
  }, { signal: stop.signal, maxAttempts: 3, retryDelayMs: () => 10, concurrency: 2 });
  assert.equal(peak, 2);
});

Deno.test("Deno KV atomic limits the store is built around still hold", async () => {
  await using file = await kvFile();
  const kv = await Deno.openKv(file.path);
  try {
    const checks = kv.atomic();
    for (let i = 0; i <= 100; i++) checks.check({ key: ["c", i], versionstamp: null });
    await assert.rejects(checks.commit(), /Too many checks/);
    const size = kv.atomic();
    for (let i = 0; i < 13; i++) size.set(["s", i], new Uint8Array(65000));
    await assert.rejects(size.commit(), /Total mutation size too large/);
    await assert.rejects(kv.set(["v"], new Uint8Array(65537)), /too large/i);
  } finally {
    kv.close();
  }
});

Deno.test("KvEventStore with two commits in flight still answers only after each commit", async () => {
  await using file = await kvFile();
  await using kv = await heldStore(file.path, 2);
  const { store, control } = kv;
  let settled = 0;
  const all = ["p1", "p2", "p3", "p4", "p1"].map((k) =>
    store.accept(event(k)).finally(() => settled++)
  );
  assert.ok(await waitFor(() => control.committing >= 2), "two commits never began");
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(settled, 0);
  kv.release();
  assert.deepEqual(await Promise.all(all), [
    "accepted",
    "accepted",
    "accepted",
    "accepted",
    "duplicate",
  ]);
});

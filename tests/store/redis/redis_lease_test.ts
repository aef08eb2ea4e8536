/**
 * Pull (lease/settle) and push (consume) on one Redis, and consume's shutdown: what only
 * the Redis backend has to prove with a real redis-server (the shared promises are in the
 * contract suite).
 */
import assert from "node:assert/strict";
import type { RetryPolicy, StoredEvent } from "../../../lib/store/mod.ts";
import {
  incomingEvent as event,
  openStore as openRedis,
  redisTest,
} from "../../support/redis_store.ts";
import type { RedisServer } from "../../support/redis_server.ts";
import type { RedisEventStoreOptions } from "../../../lib/store/redis/mod.ts";
import { waitFor } from "../../support/wait.ts";

const POLICY: RetryPolicy = { maxAttempts: 5, retryDelayMs: () => 10 };

/** Consumers here look at the queue often: a missed ring costs little time. */
function openStore(server: RedisServer, options: RedisEventStoreOptions = {}) {
  return openRedis(server.url, { blockMs: 100, ...options });
}

redisTest(
  "lease() and consume() on one Redis at once hand each event out once and never after its ack",
  async (server) => {
    await using pusher = await openStore(server);
    await using puller = await openStore(server);
    const events = Array.from({ length: 200 }, (_, i) => event(`both_${i}`));
    const handOffs = new Map<string, string[]>();
    const doneAt = new Map<string, number>();
    const afterDone: string[] = [];
    const handedOut = (key: string, by: string) => {
      if (doneAt.has(key)) afterDone.push(`${key} to ${by}`);
      handOffs.set(key, [...handOffs.get(key) ?? [], by]);
    };
    const stop = new AbortController();
    const pushing = pusher.consume(async (stored) => {
      handedOut(stored.key, "push");
      await new Promise((resolve) => setTimeout(resolve, 2));
      doneAt.set(stored.key, Date.now());
      return { ok: true };
    }, { signal: stop.signal, concurrency: 4, ...POLICY });
    const pulling = (async () => {
      while (!stop.signal.aborted) {
        const lease = await puller.lease({ leaseMs: 30_000, waitMs: 200, signal: stop.signal });
        if (lease === null) continue;
        handedOut(lease.event.key, "pull");
        const settled = await puller.settle(
          { route: lease.event.route, key: lease.event.key, leaseId: lease.leaseId },
          { ok: true },
          POLICY,
        );
        assert.equal(settled, "done");
        doneAt.set(lease.event.key, Date.now());
      }
    })();
    for (const incoming of events) await pusher.accept(incoming);
    const allDone = await waitFor(() => doneAt.size === events.length, 20_000);
    // Anything handed out again after its ack would show up within a few poll rounds.
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop.abort();
    await Promise.all([pushing, pulling]);
    assert.ok(allDone, `done ${doneAt.size} of ${events.length}`);
    assert.deepEqual(afterDone, [], "handed out after its ack");
    const twice = [...handOffs].filter(([, by]) => by.length > 1).map(([key, by]) =>
      `${key}: ${by}`
    );
    assert.deepEqual(twice, [], "handed out twice while its first lease was held");
    const sources = new Set([...handOffs.values()].flat());
    assert.deepEqual(sources, new Set(["push", "pull"]), "both sides took events");
    const pending = await pusher.list({ status: "pending", limit: 10 });
    assert.deepEqual(pending, []);
  },
);

redisTest(
  "a pull lease that runs out is handed to consume() with the next attempt, and its late settle is lost",
  async (server) => {
    await using puller = await openStore(server);
    await using pusher = await openStore(server);
    const incoming = event("expiring");
    await puller.accept(incoming);
    const lease = await puller.lease({ leaseMs: 300, waitMs: 1_000 });
    assert.equal(lease?.event.key, incoming.key);
    assert.equal(lease?.event.attempt, 1);
    const seen: StoredEvent[] = [];
    const stop = new AbortController();
    const pushing = pusher.consume((stored) => {
      seen.push(stored);
      return Promise.resolve({ ok: true });
    }, { signal: stop.signal, concurrency: 1, ...POLICY });
    assert.ok(
      await waitFor(async () => (await pusher.get("webhook", incoming.key))?.status === "done"),
    );
    stop.abort();
    await pushing;
    assert.deepEqual(seen.map((e) => [e.key, e.attempt]), [[incoming.key, 2]]);
    const late = await puller.settle(
      { route: incoming.route, key: incoming.key, leaseId: lease!.leaseId },
      { ok: false, error: "too late" },
      POLICY,
    );
    assert.equal(late, "lost");
    assert.equal((await puller.get("webhook", incoming.key))?.status, "done");
  },
);

redisTest("lease() with a route takes only that route's events, oldest first", async (server) => {
  await using store = await openStore(server);
  const a1 = event("a1", "alpha");
  const b1 = event("b1", "beta");
  const a2 = event("a2", "alpha");
  for (const incoming of [a1, b1, a2]) await store.accept(incoming);
  const keys: string[] = [];
  for (;;) {
    const lease = await store.lease({ route: "alpha", leaseMs: 10_000, waitMs: 0 });
    if (lease === null) break;
    keys.push(lease.event.key);
  }
  assert.deepEqual(keys, [a1.key, a2.key]);
  assert.equal((await store.lease({ leaseMs: 10_000, waitMs: 0 }))?.event.key, b1.key);
  const listed = await store.list({ route: "alpha", limit: 10 });
  assert.deepEqual(listed.map((e) => e.key), [a2.key, a1.key], "newest first, one route");
});

redisTest("lease() waiting for an event wakes when one is accepted", async (server) => {
  await using waiter = await openStore(server, { blockMs: 10_000 });
  await using sender = await openStore(server);
  const incoming = event("wake");
  const leasing = waiter.lease({ leaseMs: 10_000, waitMs: 8_000 });
  await new Promise((resolve) => setTimeout(resolve, 200));
  await sender.accept(incoming);
  const lease = await leasing;
  assert.equal(lease?.event.key, incoming.key);
});

redisTest("settle() with retry false makes a failed event dead at once", async (server) => {
  await using store = await openStore(server);
  const incoming = event("fatal");
  await store.accept(incoming);
  const lease = await store.lease({ leaseMs: 10_000, waitMs: 0 });
  assert.ok(lease);
  const settled = await store.settle(
    { route: incoming.route, key: incoming.key, leaseId: lease.leaseId },
    { ok: false, error: "malformed payload", retry: false },
    POLICY,
  );
  assert.equal(settled, "dead");
  const dead = await store.get(incoming.route, incoming.key);
  assert.equal(dead?.status, "dead");
  assert.equal(dead?.lastError, "malformed payload");
  assert.equal(await store.lease({ leaseMs: 10_000, waitMs: 0 }), null);
});

redisTest(
  "consume() stops taking events on abort, stops its handlers after the grace, and a reopened store hands every unfinished event out again",
  async (server) => {
    const events = Array.from({ length: 40 }, (_, i) => event(`backlog_${i}`));
    const graceMs = 300;
    const handled = new Set<string>();
    {
      await using store = await openStore(server, {
        shutdownGraceMs: graceMs,
        visibilityTimeoutMs: 1_000,
      });
      for (const incoming of events) await store.accept(incoming);
      const stop = new AbortController();
      let started = 0;
      const consuming = store.consume(async (stored, { signal }) => {
        started++;
        // Slower than the backlog: each hand-off waits for its stop signal or 5 s.
        const finished = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), stored.key.endsWith("0") ? 50 : 5_000);
          signal.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve(false);
          }, { once: true });
        });
        if (!finished) return { ok: false, error: "stopped" };
        handled.add(stored.key);
        return { ok: true };
      }, { signal: stop.signal, concurrency: 3, ...POLICY });
      assert.ok(await waitFor(() => started >= 3));
      const abortedAt = performance.now();
      stop.abort();
      await consuming;
      const tookMs = performance.now() - abortedAt;
      // The grace, plus the moment the handlers need to see their signal.
      assert.ok(
        tookMs < graceMs + 1_500,
        `consume() returned ${Math.round(tookMs)} ms after abort`,
      );
      assert.ok(handled.size < events.length, "the backlog was worked off before the abort");
    }
    const seenAfter = new Map<string, number>();
    await using reopened = await openStore(server);
    const stop = new AbortController();
    const consuming = reopened.consume((stored) => {
      seenAfter.set(stored.key, stored.attempt);
      return Promise.resolve({ ok: true });
    }, { signal: stop.signal, concurrency: 4, ...POLICY });
    const complete = await waitFor(() =>
      events.every((e) => handled.has(e.key) || seenAfter.has(e.key))
    );
    stop.abort();
    await consuming;
    assert.ok(complete, `${handled.size} + ${seenAfter.size} of ${events.length} handled`);
    // A hand-off stopped by the shutdown does not count as an attempt.
    assert.deepEqual([...seenAfter.values()].filter((attempt) => attempt !== 1), []);
    for (const incoming of events) {
      assert.equal(
        (await reopened.get(incoming.route, incoming.key))?.status,
        "done",
        incoming.key,
      );
    }
  },
);

/**
 * The EventStore contract, second half: the pull side (lease() and settle(), leases
 * that run out, long polls), listing by route, consume()'s shutdown grace, close().
 */
import assert from "node:assert/strict";
import type { EventStore, HandlerOutcome, RetryPolicy } from "../../lib/store/mod.ts";
import { sleep } from "../../lib/util/mod.ts";
import {
  acceptAndLease,
  type ContractTest,
  event,
  options,
  POLICY,
  ROUTE,
} from "./contract_events.ts";

/**
 * Accepts a fresh event, starts consume() with a shutdown grace of `graceMs`, and
 * stops the consumer as soon as `handle` has begun; answers the event and consume()'s
 * promise.
 */
async function stopWhileHandling(
  store: EventStore,
  graceMs: number,
  handle: (signal: AbortSignal) => Promise<HandlerOutcome>,
) {
  const incoming = event();
  await store.accept(incoming);
  const stop = new AbortController();
  const { promise: handlerStarted, resolve: started } = Promise.withResolvers<void>();
  const consuming = store.consume((_stored, { signal }) => {
    started();
    return handle(signal);
  }, options({ signal: stop.signal, graceMs }));
  await Promise.race([handlerStarted, sleep(10_000)]);
  stop.abort();
  return { incoming, consuming };
}

export function leaseAndSettleContract(test: ContractTest): void {
  test("lease() hands out a pending event once, counting the attempt, until it is settled", async (store) => {
    const { incoming, lease, held } = await acceptAndLease(store);
    assert.equal(lease.event.key, incoming.key);
    assert.equal(lease.event.attempt, 1);
    assert.equal(lease.event.status, "pending");
    assert.deepEqual(lease.event.payload, incoming.payload);
    assert.ok(lease.expiresAtMs > Date.now());
    // Held by that lease: nobody else gets it.
    assert.equal(await store.lease({ leaseMs: 30_000, waitMs: 0 }), null);
    const stranger = { ...lease.event, leaseId: "not-this-lease" };
    assert.equal(await store.settle(stranger, { ok: false, error: "x" }, POLICY), "lost");
    assert.equal(await store.settle(held, { ok: true }, POLICY), "done");
    assert.equal((await store.get(ROUTE, incoming.key))?.status, "done");
  });

  test("lease() hands an event out again once its lease ran out unsettled", async (store) => {
    const incoming = event();
    await store.accept(incoming);
    const first = await store.lease({ leaseMs: 300, waitMs: 0 });
    assert.ok(first);
    const second = await store.lease({ leaseMs: 30_000, waitMs: 5_000 });
    assert.ok(second, "the expired lease was not handed out again");
    assert.equal(second.event.key, incoming.key);
    assert.equal(second.event.attempt, 2);
    assert.notEqual(second.leaseId, first.leaseId);
    // The first holder comes back too late: its verdict is not recorded.
    const late = { ...first.event, leaseId: first.leaseId };
    assert.equal(await store.settle(late, { ok: true }, POLICY), "lost");
    assert.equal((await store.get(ROUTE, incoming.key))?.status, "pending");
    const current = { ...second.event, leaseId: second.leaseId };
    assert.equal(await store.settle(current, { ok: true }, POLICY), "done");
  });

  test("settle() after the lease expired is lost, and the event stays pending", async (store) => {
    const { incoming, held } = await acceptAndLease(store, 200);
    await sleep(350);
    assert.equal(await store.settle(held, { ok: true }, POLICY), "lost");
    const stored = await store.get(ROUTE, incoming.key);
    assert.equal(stored?.status, "pending");
    const again = await store.lease({ leaseMs: 30_000, waitMs: 2_000 });
    assert.equal(again?.event.key, incoming.key);
  });

  test("a settled-done event is never handed out again, also after its lease time", async (store) => {
    const { incoming, held } = await acceptAndLease(store, 200);
    assert.equal(await store.settle(held, { ok: true }, POLICY), "done");
    assert.equal(await store.lease({ leaseMs: 200, waitMs: 600 }), null);
    assert.equal(await store.settle(held, { ok: true }, POLICY), "lost");
    assert.equal((await store.get(ROUTE, incoming.key))?.status, "done");
  });

  test("settle() of failures: retrying until maxAttempts, then dead with the last error", async (store) => {
    const incoming = event();
    await store.accept(incoming);
    const policy: RetryPolicy = { maxAttempts: 2, retryDelayMs: () => 0 };
    const first = await store.lease({ leaseMs: 30_000, waitMs: 0 });
    assert.ok(first);
    const firstHeld = { ...first.event, leaseId: first.leaseId };
    assert.equal(await store.settle(firstHeld, { ok: false, error: "down 1" }, policy), "retrying");
    const retried = await store.get(ROUTE, incoming.key);
    assert.equal(retried?.status, "pending");
    assert.equal(retried?.lastError, "down 1");
    const second = await store.lease({ leaseMs: 30_000, waitMs: 2_000 });
    assert.ok(second);
    assert.equal(second.event.attempt, 2);
    assert.equal(second.event.lastError, "down 1");
    const secondHeld = { ...second.event, leaseId: second.leaseId };
    assert.equal(await store.settle(secondHeld, { ok: false, error: "down 2" }, policy), "dead");
    const dead = await store.get(ROUTE, incoming.key);
    assert.equal(dead?.status, "dead");
    assert.equal(dead?.attempt, 2);
    assert.equal(dead?.lastError, "down 2");
    assert.equal(await store.lease({ leaseMs: 30_000, waitMs: 0 }), null);
  });

  test("settle() with retry: false makes a failure dead at once", async (store) => {
    const { incoming, held } = await acceptAndLease(store);
    const verdict = { ok: false as const, error: "malformed", retry: false };
    assert.equal(await store.settle(held, verdict, POLICY), "dead");
    const dead = await store.get(ROUTE, incoming.key);
    assert.equal(dead?.status, "dead");
    assert.equal(dead?.attempt, 1);
    assert.equal(dead?.lastError, "malformed");
  });

  test("settle() of a retry holds the event back for the policy's delay", async (store) => {
    const { held } = await acceptAndLease(store);
    const policy: RetryPolicy = { maxAttempts: 3, retryDelayMs: () => 600_000 };
    assert.equal(await store.settle(held, { ok: false, error: "later" }, policy), "retrying");
    assert.equal(await store.lease({ leaseMs: 30_000, waitMs: 300 }), null);
  });

  test("lease() long-polls: null after waitMs when nothing comes", async (store) => {
    const started = Date.now();
    assert.equal(await store.lease({ leaseMs: 30_000, waitMs: 400 }), null);
    assert.ok(Date.now() - started >= 350, `returned after ${Date.now() - started} ms`);
  });

  test("lease() long-polls: an event accepted during the wait is handed out", async (store) => {
    const incoming = event();
    const leasing = store.lease({ leaseMs: 30_000, waitMs: 10_000 });
    await sleep(150);
    await store.accept(incoming);
    const lease = await leasing;
    assert.equal(lease?.event.key, incoming.key);
  });

  test("lease() returns null soon after its signal aborts", async (store) => {
    const stop = new AbortController();
    const leasing = store.lease({ leaseMs: 30_000, waitMs: 30_000, signal: stop.signal });
    await sleep(100);
    stop.abort();
    const result = await Promise.race([leasing, sleep(5_000).then(() => "still waiting")]);
    assert.equal(result, null);
  });

  test("lease() with a route hands out only that route's events", async (store) => {
    const webhook = event();
    const github = event({ route: "github" });
    await store.accept(webhook);
    await store.accept(github);
    const lease = await store.lease({ route: "github", leaseMs: 30_000, waitMs: 0 });
    assert.equal(lease?.event.route, "github");
    assert.equal(lease?.event.key, github.key);
    assert.equal(await store.lease({ route: "github", leaseMs: 30_000, waitMs: 0 }), null);
    assert.equal(await store.lease({ route: "stripe", leaseMs: 30_000, waitMs: 0 }), null);
    const other = await store.lease({ leaseMs: 30_000, waitMs: 0 });
    assert.equal(other?.event.key, webhook.key);
  });

  test("list() filters by route and by status, newest first", async (store) => {
    const now = Date.now();
    const older = event({ receivedAtMs: now - 2_000 });
    const newer = event({ receivedAtMs: now - 1_000 });
    const github = event({ route: "github", receivedAtMs: now });
    for (const incoming of [older, newer, github]) await store.accept(incoming);
    const webhook = await store.list({ route: ROUTE, limit: 10 });
    assert.deepEqual(webhook.map((e) => e.key), [newer.key, older.key]);
    const all = await store.list({ limit: 10 });
    assert.deepEqual(all.map((e) => e.key), [github.key, newer.key, older.key]);
    const pendingGithub = await store.list({ status: "pending", route: "github", limit: 10 });
    assert.deepEqual(pendingGithub.map((e) => e.key), [github.key]);
    assert.deepEqual(await store.list({ status: "done", route: "github", limit: 10 }), []);
    assert.equal((await store.list({ limit: 1 })).length, 1);
  });

  test("consume() gives each handler a signal that aborts past the grace; its event stays pending", async (store) => {
    let abortedInside = false;
    const { incoming, consuming } = await stopWhileHandling(store, 200, async (signal) => {
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
      abortedInside = signal.aborted;
      return { ok: false, error: "stopped by shutdown" };
    });
    const result = await Promise.race([
      consuming.then(() => "returned"),
      sleep(5_000).then(() => "still running"),
    ]);
    assert.equal(result, "returned");
    assert.equal(abortedInside, true);
    const stored = await store.get(ROUTE, incoming.key);
    assert.equal(stored?.status, "pending");
    assert.equal(stored?.lastError, null, "the stopped hand-off was not recorded as a failure");
    const again = await store.lease({ leaseMs: 30_000, waitMs: 2_000 });
    assert.equal(again?.event.key, incoming.key, "the stopped event is handed out again");
  });

  test("consume() lets a running handler finish within the grace and records its verdict", async (store) => {
    const { incoming, consuming } = await stopWhileHandling(store, 5_000, async () => {
      await sleep(200);
      return { ok: true };
    });
    await consuming;
    assert.equal((await store.get(ROUTE, incoming.key))?.status, "done");
  });

  test("close() ends the store: accept() then rejects, and close() again is harmless", async (store) => {
    await store.accept(event());
    await store.close();
    await assert.rejects(store.accept(event()));
    await store.close();
  });
}

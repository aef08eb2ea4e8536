/**
 * THE contract of lib/store/event_store.ts, as tests. Every backend runs it
 * (tests/store/event_store_contract_test.ts), so a backend cannot silently drift.
 */
import assert from "node:assert/strict";
import type {
  ConsumeOptions,
  EventStore,
  HandlerOutcome,
  IncomingEvent,
  RetryPolicy,
  StoredEvent,
} from "../../lib/store/mod.ts";
import { sleep } from "../../lib/util/mod.ts";
import { waitFor } from "./wait.ts";

export interface ContractStore {
  store: EventStore;
  /** Closes the store (if the test did not) and removes everything it made. */
  dispose(): Promise<void>;
}

export interface ContractOptions {
  /** Registered, but skipped (for example: the backend's server is not installed). */
  ignore?: boolean;
}

const ROUTE = "webhook";
let sequence = 0;

function event(overrides: Partial<IncomingEvent> = {}): IncomingEvent {
  sequence++;
  const id = overrides.id === undefined ? `evt_${sequence}_${crypto.randomUUID()}` : overrides.id;
  return {
    route: ROUTE,
    key: id === null ? `sha256:${crypto.randomUUID().replaceAll("-", "")}` : `id:${id}`,
    id,
    payload: new TextEncoder().encode(JSON.stringify({ id, n: sequence })),
    receivedAtMs: Date.now(),
    retentionMs: 600_000,
    ...overrides,
  };
}

function bytesOf(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function options(overrides: Partial<ConsumeOptions> & { signal: AbortSignal }): ConsumeOptions {
  return { maxAttempts: 3, retryDelayMs: () => 10, concurrency: 4, ...overrides };
}

/**
 * Runs consume() until `until()` holds (checked after each hand-off) or the
 * time limit, then stops it and waits for it to return. Returns whether it held.
 */
async function consumeUntil(
  store: EventStore,
  handler: (event: StoredEvent, context: { signal: AbortSignal }) => Promise<HandlerOutcome>,
  until: () => boolean,
  overrides: Partial<ConsumeOptions> = {},
  limitMs = 15_000,
): Promise<boolean> {
  const stop = new AbortController();
  let held = false;
  const timer = setTimeout(() => stop.abort(), limitMs);
  const consuming = store.consume(async (stored, context) => {
    const outcome = await handler(stored, context);
    queueMicrotask(() => {
      if (until()) {
        held = true;
        stop.abort();
      }
    });
    return outcome;
  }, options({ ...overrides, signal: stop.signal }));
  await consuming;
  clearTimeout(timer);
  return held;
}

const POLICY: RetryPolicy = { maxAttempts: 3, retryDelayMs: () => 0 };

/** Accepts a fresh event and leases it: the event, its lease, and what settle() needs to name it. */
async function acceptAndLease(store: EventStore, leaseMs = 30_000) {
  const incoming = event();
  await store.accept(incoming);
  const lease = await store.lease({ leaseMs, waitMs: 0 });
  assert.ok(lease, "the accepted event was not handed out");
  return { incoming, lease, held: { ...lease.event, leaseId: lease.leaseId } };
}

/** Registers one Deno.test per promise of the EventStore interface for the backend `name`. */
export function eventStoreContract(
  name: string,
  makeStore: () => Promise<ContractStore>,
  contractOptions: ContractOptions = {},
): void {
  const test = (title: string, body: (store: EventStore) => Promise<void>) =>
    Deno.test({
      name: `${name}: ${title}`,
      ignore: contractOptions.ignore ?? false,
      // A store (the Redis client library) keeps timers and sockets until its close() settles.
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        const made = await makeStore();
        try {
          await body(made.store);
        } finally {
          await made.dispose();
        }
      },
    });

  test("accept() of a new event resolves accepted and records it pending", async (store) => {
    const incoming = event();
    assert.equal(await store.accept(incoming), "accepted");
    const stored = await store.get(ROUTE, incoming.key);
    assert.ok(stored);
    assert.equal(stored.status, "pending");
    assert.equal(stored.attempt, 0);
    assert.equal(stored.id, incoming.id);
    assert.equal(stored.receivedAtMs, incoming.receivedAtMs);
  });

  test("accept() of the same route and key again is a duplicate and keeps the first payload", async (store) => {
    const first = event();
    assert.equal(await store.accept(first), "accepted");
    const replay = { ...first, payload: new TextEncoder().encode('{"forged":"second"}') };
    assert.equal(await store.accept(replay), "duplicate");
    const stored = await store.get(ROUTE, first.key);
    assert.deepEqual(stored?.payload, first.payload);
  });

  test("accept() of the same key on another route is accepted", async (store) => {
    const first = event();
    assert.equal(await store.accept(first), "accepted");
    assert.equal(await store.accept({ ...first, route: "github" }), "accepted");
    assert.equal((await store.get("github", first.key))?.status, "pending");
  });

  test("accept() of an id-less event keyed by digest stores id null", async (store) => {
    const incoming = event({ id: null });
    assert.equal(await store.accept(incoming), "accepted");
    assert.equal((await store.get(ROUTE, incoming.key))?.id, null);
  });

  test("accept() of a new key whose alias key an earlier event holds is a duplicate and claims nothing", async (store) => {
    const alias = `sha256:${crypto.randomUUID().replaceAll("-", "")}`;
    const first = event({ aliasKeys: [alias] });
    assert.equal(await store.accept(first), "accepted");
    const replay = event({ aliasKeys: [alias] });
    assert.equal(await store.accept(replay), "duplicate");
    assert.equal(await store.get(ROUTE, replay.key), null);
    // The replay claimed nothing: its own key is still free.
    assert.equal(await store.accept({ ...replay, aliasKeys: [] }), "accepted");
  });

  test("accept() of a claimed key with a new alias key is a duplicate and leaves the alias free", async (store) => {
    const first = event({ aliasKeys: [`sha256:${crypto.randomUUID()}`] });
    assert.equal(await store.accept(first), "accepted");
    const freshAlias = `sha256:${crypto.randomUUID()}`;
    assert.equal(await store.accept({ ...first, aliasKeys: [freshAlias] }), "duplicate");
    assert.equal(await store.accept(event({ aliasKeys: [freshAlias] })), "accepted");
  });

  test("accept() of one alias key under 20 distinct keys at once accepts exactly one", async (store) => {
    const alias = `sha256:${crypto.randomUUID()}`;
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => store.accept(event({ aliasKeys: [alias] }))),
    );
    assert.equal(outcomes.filter((outcome) => outcome === "accepted").length, 1);
  });

  test("accept() of an alias key held on another route is accepted", async (store) => {
    const alias = `sha256:${crypto.randomUUID()}`;
    assert.equal(await store.accept(event({ aliasKeys: [alias] })), "accepted");
    assert.equal(await store.accept(event({ route: "github", aliasKeys: [alias] })), "accepted");
  });

  test("accept() of one key 50 times at once accepts exactly one", async (store) => {
    const incoming = event();
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () => store.accept({ ...incoming })),
    );
    assert.equal(outcomes.filter((outcome) => outcome === "accepted").length, 1);
    assert.equal(outcomes.filter((outcome) => outcome === "duplicate").length, 49);
  });

  test("accept() of 50 distinct keys at once accepts all of them", async (store) => {
    const events = Array.from({ length: 50 }, () => event());
    const outcomes = await Promise.all(events.map((incoming) => store.accept(incoming)));
    assert.deepEqual(outcomes, events.map(() => "accepted"));
  });

  test("get() returns payload bytes exactly: non-UTF-8, > 64 KiB, 1 MiB", async (store) => {
    const sizes = [1, 3, 65_537, 200_000, 1_048_576];
    const events = sizes.map((size, i) => {
      const payload = bytesOf(size, 7 + i);
      payload[0] = 0xff; // never valid UTF-8
      return event({ payload });
    });
    for (const incoming of events) assert.equal(await store.accept(incoming), "accepted");
    for (const incoming of events) {
      const stored = await store.get(ROUTE, incoming.key);
      assert.equal(stored?.payload.length, incoming.payload.length);
      assert.deepEqual(stored?.payload, incoming.payload);
    }
  });

  test("get() of an unknown key is null", async (store) => {
    assert.equal(await store.get(ROUTE, "id:never-seen"), null);
  });

  test("consume() delivers every accepted event, attempt 1, and marks it done", async (store) => {
    const events = Array.from({ length: 20 }, () => event());
    for (const incoming of events.slice(0, 10)) await store.accept(incoming);
    const seen = new Map<string, StoredEvent>();
    const consuming = consumeUntil(store, (stored) => {
      seen.set(stored.key, stored);
      return Promise.resolve({ ok: true });
    }, () => events.every((incoming) => seen.has(incoming.key)));
    // Half arrive while the consumer already runs.
    for (const incoming of events.slice(10)) await store.accept(incoming);
    assert.ok(await consuming, `delivered ${seen.size} of ${events.length}`);
    for (const incoming of events) {
      const stored = seen.get(incoming.key) as StoredEvent;
      assert.equal(stored.attempt, 1);
      assert.equal(stored.route, ROUTE);
      assert.equal(stored.id, incoming.id);
      assert.deepEqual(stored.payload, incoming.payload);
    }
    assert.ok(
      await waitFor(async () =>
        (await Promise.all(events.map((e) => store.get(ROUTE, e.key))))
          .every((stored) => stored?.status === "done")
      ),
    );
  });

  test("consume() hands large non-UTF-8 payloads to the handler byte for byte", async (store) => {
    const events = [70_000, 1_048_576].map((size, i) => {
      const payload = bytesOf(size, 99 + i);
      payload[size - 1] = 0xc3; // a truncated UTF-8 sequence at the end
      return event({ payload });
    });
    for (const incoming of events) await store.accept(incoming);
    const seen = new Map<string, Uint8Array>();
    const held = await consumeUntil(store, (stored) => {
      seen.set(stored.key, stored.payload);
      return Promise.resolve({ ok: true });
    }, () => seen.size === events.length);
    assert.ok(held);
    for (const incoming of events) assert.deepEqual(seen.get(incoming.key), incoming.payload);
  });

  test("consume() retries a failing handler with growing attempts, then the event is dead", async (store) => {
    const incoming = event();
    await store.accept(incoming);
    const attempts: number[] = [];
    const held = await consumeUntil(
      store,
      (stored) => {
        attempts.push(stored.attempt);
        return Promise.resolve({ ok: false, error: `boom ${stored.attempt}` });
      },
      () => attempts.length >= 3,
      { maxAttempts: 3 },
    );
    assert.ok(held);
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.ok(await waitFor(async () => (await store.get(ROUTE, incoming.key))?.status === "dead"));
    const dead = await store.get(ROUTE, incoming.key);
    assert.equal(dead?.attempt, 3);
    assert.equal(dead?.lastError, "boom 3");
    const listed = await store.list({ status: "dead", limit: 10 });
    assert.deepEqual(listed.map((e) => e.key), [incoming.key]);
  });

  test("consume() treats a handler that throws as a failed attempt, and says so on the retry", async (store) => {
    const incoming = event();
    await store.accept(incoming);
    const attempts: number[] = [];
    const errorsSeen: (string | null)[] = [];
    const held = await consumeUntil(store, (stored) => {
      attempts.push(stored.attempt);
      errorsSeen.push(stored.lastError);
      if (stored.attempt === 1) return Promise.reject(new Error("handler crashed"));
      return Promise.resolve({ ok: true });
    }, () => attempts.length >= 2);
    assert.ok(held);
    assert.deepEqual(attempts, [1, 2]);
    // The retry carries the previous attempt's error (for the agent's logs).
    assert.deepEqual(errorsSeen, [null, "handler crashed"]);
    assert.ok(await waitFor(async () => (await store.get(ROUTE, incoming.key))?.status === "done"));
  });

  test("consume() never runs more handlers at once than its concurrency", async (store) => {
    const events = Array.from({ length: 8 }, () => event());
    for (const incoming of events) await store.accept(incoming);
    let running = 0;
    let peak = 0;
    let handled = 0;
    const held = await consumeUntil(
      store,
      async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 30));
        running--;
        handled++;
        return { ok: true };
      },
      () => handled >= events.length,
      { concurrency: 2 },
    );
    assert.ok(held);
    assert.ok(peak <= 2, `peak ${peak}`);
  });

  test("consume() returns once its signal aborts", async (store) => {
    const stop = new AbortController();
    const consuming = store.consume(
      () => Promise.resolve({ ok: true }),
      options({ signal: stop.signal }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    stop.abort();
    const result = await Promise.race([
      consuming.then(() => "returned"),
      new Promise((resolve) => setTimeout(() => resolve("still running"), 5_000)),
    ]);
    assert.equal(result, "returned");
  });

  test("redeliver() revives a dead letter: pending, attempts start over, then done", async (store) => {
    const incoming = event();
    await store.accept(incoming);
    let failing = true;
    const attempts: number[] = [];
    assert.ok(
      await consumeUntil(
        store,
        (stored) => {
          attempts.push(stored.attempt);
          return Promise.resolve(failing ? { ok: false, error: "down" } : { ok: true });
        },
        () => attempts.length >= 2,
        { maxAttempts: 2 },
      ),
    );
    assert.ok(await waitFor(async () => (await store.get(ROUTE, incoming.key))?.status === "dead"));

    assert.equal(await store.redeliver(ROUTE, incoming.key), true);
    const revived = await store.get(ROUTE, incoming.key);
    assert.equal(revived?.status, "pending");
    assert.equal(revived?.attempt, 0);
    assert.deepEqual(await store.list({ status: "dead", limit: 10 }), []);

    failing = false;
    attempts.length = 0;
    assert.ok(
      await consumeUntil(
        store,
        (stored) => {
          attempts.push(stored.attempt);
          return Promise.resolve({ ok: true });
        },
        () => attempts.length >= 1,
        { maxAttempts: 2 },
      ),
    );
    assert.deepEqual(attempts, [1]);
    assert.ok(await waitFor(async () => (await store.get(ROUTE, incoming.key))?.status === "done"));
  });

  test("redeliver() makes a done event pending again; an unknown key is false", async (store) => {
    const incoming = event();
    await store.accept(incoming);
    let handled = 0;
    assert.ok(
      await consumeUntil(store, () => {
        handled++;
        return Promise.resolve({ ok: true });
      }, () => handled >= 1),
    );
    assert.ok(await waitFor(async () => (await store.get(ROUTE, incoming.key))?.status === "done"));
    assert.equal(await store.redeliver(ROUTE, incoming.key), true);
    assert.equal((await store.get(ROUTE, incoming.key))?.status, "pending");
    assert.equal(await store.redeliver(ROUTE, "id:never-seen"), false);
  });

  test("list() filters by status and honours the limit", async (store) => {
    const events = Array.from({ length: 5 }, () => event());
    for (const incoming of events) await store.accept(incoming);
    const doneKeys = new Set(events.slice(0, 3).map((e) => e.key));
    const handled = new Set<string>();
    // Only the first three succeed; the others fail once and wait 10 minutes to retry.
    assert.ok(
      await consumeUntil(
        store,
        (stored) => {
          handled.add(stored.key);
          return Promise.resolve(
            doneKeys.has(stored.key) ? { ok: true } : { ok: false, error: "x" },
          );
        },
        () => handled.size >= 5,
        { retryDelayMs: () => 600_000 },
      ),
    );
    assert.ok(
      await waitFor(async () => (await store.list({ status: "done", limit: 10 })).length === 3),
    );
    const done = await store.list({ status: "done", limit: 10 });
    assert.deepEqual(new Set(done.map((e) => e.key)), doneKeys);
    assert.ok(done.every((e) => e.status === "done"));
    const pending = await store.list({ status: "pending", limit: 10 });
    assert.deepEqual(
      new Set(pending.map((e) => e.key)),
      new Set(events.slice(3).map((e) => e.key)),
    );
    assert.ok(pending.every((e) => e.status === "pending" && e.lastError === "x"));
    assert.equal((await store.list({ status: "done", limit: 2 })).length, 2);
    assert.deepEqual(await store.list({ status: "dead", limit: 10 }), []);
    assert.deepEqual(await store.list({ status: "done", limit: 0 }), []);
  });

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
    const incoming = event();
    await store.accept(incoming);
    const stop = new AbortController();
    let started!: () => void;
    const handlerStarted = new Promise<void>((resolve) => (started = resolve));
    let abortedInside = false;
    const consuming = store.consume(async (_stored, { signal }) => {
      started();
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
      abortedInside = signal.aborted;
      return { ok: false, error: "stopped by shutdown" };
    }, options({ signal: stop.signal, graceMs: 200 }));
    await Promise.race([handlerStarted, sleep(10_000)]);
    stop.abort();
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
    const incoming = event();
    await store.accept(incoming);
    const stop = new AbortController();
    let started!: () => void;
    const handlerStarted = new Promise<void>((resolve) => (started = resolve));
    const consuming = store.consume(async () => {
      started();
      await sleep(200);
      return { ok: true };
    }, options({ signal: stop.signal, graceMs: 5_000 }));
    await Promise.race([handlerStarted, sleep(10_000)]);
    stop.abort();
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

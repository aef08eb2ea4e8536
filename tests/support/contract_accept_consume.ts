/**
 * The EventStore contract, first half: accept() and its claims and aliases, get(),
 * the push consumer consume(), redeliver() and list().
 */
import assert from "node:assert/strict";
import type { StoredEvent } from "../../lib/store/mod.ts";
import {
  acceptAndLease,
  bytesOf,
  consumeUntil,
  type ContractTest,
  event,
  options,
  POLICY,
  ROUTE,
} from "./contract_events.ts";
import { waitFor } from "./wait.ts";

export function acceptAndConsumeContract(test: ContractTest): void {
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

  test("accept() of a payload that is a view into a larger buffer stores exactly its bytes", async (store) => {
    // A request body can arrive as one chunk that is a window on the server's read buffer.
    const buffer = new Uint8Array(1024 * 1024).fill(0x20);
    const json = new TextEncoder().encode('{"id":"view"}');
    buffer.set(json, 4096);
    const incoming = event({ payload: buffer.subarray(4096, 4096 + json.length) });
    assert.equal(await store.accept(incoming), "accepted");
    assert.deepEqual((await store.get(ROUTE, incoming.key))?.payload, json);
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

    assert.equal(await store.redeliver(ROUTE, incoming.key), "redelivered");
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

  test("redeliver() makes a done event pending again; an unknown key is unknown", async (store) => {
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
    assert.equal(await store.redeliver(ROUTE, incoming.key), "redelivered");
    assert.equal((await store.get(ROUTE, incoming.key))?.status, "pending");
    assert.equal(await store.redeliver(ROUTE, "id:never-seen"), "unknown");
  });

  test("redeliver() leaves a pending event alone: a leased one goes to no second consumer", async (store) => {
    const { incoming, held } = await acceptAndLease(store);
    // Only a done or dead event is redelivered: reviving a leased one would hand it out twice at once.
    assert.equal(await store.redeliver(ROUTE, incoming.key), "pending");
    assert.equal(await store.lease({ leaseMs: 30_000, waitMs: 0 }), null);
    assert.equal((await store.get(ROUTE, incoming.key))?.attempt, 1);
    assert.equal(await store.settle(held, { ok: true }, POLICY), "done");
    const waiting = event();
    await store.accept(waiting);
    assert.equal(await store.redeliver(ROUTE, waiting.key), "pending");
    assert.equal((await store.get(ROUTE, waiting.key))?.status, "pending");
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
}

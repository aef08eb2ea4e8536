/**
 * What only the Redis backend has to prove (the shared promises are in
 * tests/store/event_store_contract_test.ts): takeover of a dead worker's events,
 * heartbeats for slow handlers, outages, durability, credentials.
 */
import assert from "node:assert/strict";
import { type StoredEvent, StoreSpecError } from "../../../lib/store/mod.ts";
import { openRedisEventStore, type RedisEventStore } from "../../../lib/store/redis/mod.ts";
import { incomingEvent, openStore, redisMissing, redisTest } from "../../support/redis_store.ts";
import { waitFor } from "../../support/wait.ts";

const PASSWORD = "redis-test-pass-7f3c9e";

function event(n: number) {
  return incomingEvent(`evt_${n}`);
}

const consumeOptions = (signal: AbortSignal, overrides = {}) => ({
  signal,
  maxAttempts: 5,
  retryDelayMs: () => 10,
  concurrency: 2,
  ...overrides,
});

redisTest(
  "RedisEventStore takes over the events of a worker that died mid-handler",
  async (server) => {
    const a = await openRedisEventStore(server.url, {
      visibilityTimeoutMs: 300,
      blockMs: 100,
      shutdownGraceMs: 0,
    });
    const b = await openRedisEventStore(server.url, { visibilityTimeoutMs: 300, blockMs: 100 });
    let release: () => void = () => {};
    try {
      const incoming = event(1);
      await a.accept(incoming);
      const takenByA: StoredEvent[] = [];
      const stopA = new AbortController();
      const consumingA = a.consume((stored) => {
        takenByA.push(stored);
        return new Promise((resolve) => release = () => resolve({ ok: true }));
      }, consumeOptions(stopA.signal));
      assert.ok(await waitFor(() => takenByA.length === 1));
      // A dies: no heartbeat, no acknowledgement, its handler never reports back.
      await a.close();
      await consumingA;

      const takenByB: StoredEvent[] = [];
      const stopB = new AbortController();
      const consumingB = b.consume((stored) => {
        takenByB.push(stored);
        return Promise.resolve({ ok: true });
      }, consumeOptions(stopB.signal));
      assert.ok(await waitFor(() => takenByB.length === 1), "B never took the event over");
      assert.equal(takenByB[0]?.key, incoming.key);
      assert.equal(takenByB[0]?.attempt, 2);
      assert.ok(
        await waitFor(async () => (await b.get("webhook", incoming.key))?.status === "done"),
      );
      stopB.abort();
      await consumingB;
    } finally {
      release();
      await a.close();
      await b.close();
    }
  },
);

redisTest(
  "RedisEventStore keeps a slow handler's event while it runs (no second worker)",
  async (server) => {
    const options = { visibilityTimeoutMs: 600, blockMs: 100 };
    await using a = await openStore(server.url, options);
    await using b = await openStore(server.url, options);
    await a.accept(event(2));
    const calls: string[] = [];
    const stop = new AbortController();
    const slow = (name: string) => async (_stored: StoredEvent) => {
      calls.push(name);
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // > 3 × the visibility timeout
      return { ok: true } as const;
    };
    const consuming = [
      a.consume(slow("a"), consumeOptions(stop.signal)),
      b.consume(slow("b"), consumeOptions(stop.signal)),
    ];
    assert.ok(await waitFor(() => calls.length >= 1));
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    assert.equal(calls.length, 1, `handled by ${calls.join(", ")}`);
    stop.abort();
    await Promise.all(consuming);
  },
);

redisTest("RedisEventStore buries an event whose workers keep dying", async (server) => {
  const incoming = event(3);
  for (let round = 1; round <= 2; round++) {
    const store = await openRedisEventStore(server.url, {
      visibilityTimeoutMs: 200,
      blockMs: 50,
      shutdownGraceMs: 0,
    });
    if (round === 1) await store.accept(incoming);
    let taken = false;
    const stop = new AbortController();
    const consuming = store.consume(() => {
      taken = true;
      return new Promise(() => {}); // hangs: the worker "dies" with it
    }, consumeOptions(stop.signal, { maxAttempts: 2 }));
    assert.ok(await waitFor(() => taken, 5_000), `round ${round}`);
    await store.close();
    await consuming;
  }
  await using last = await openStore(server.url, { visibilityTimeoutMs: 200, blockMs: 50 });
  let handled = false;
  const stop = new AbortController();
  const consuming = last.consume(() => {
    handled = true;
    return Promise.resolve({ ok: true });
  }, consumeOptions(stop.signal, { maxAttempts: 2 }));
  assert.ok(
    await waitFor(async () => (await last.get("webhook", incoming.key))?.status === "dead"),
  );
  assert.equal(handled, false);
  assert.match((await last.get("webhook", incoming.key))?.lastError ?? "", /never reported back/);
  stop.abort();
  await consuming;
});

redisTest(
  "RedisEventStore rejects accept() while Redis is down and accepts again after",
  async (server) => {
    await using store = await openStore(server.url, {
      password: PASSWORD,
      commandTimeoutMs: 2_000,
    });
    assert.equal(await store.accept(event(4)), "accepted");
    await server.halt("SIGKILL");
    const during = event(5);
    const error = await store.accept(during).then(
      (outcome) => assert.fail(`resolved '${outcome}' while Redis was down`),
      (error: Error) => error,
    );
    assert.ok(!error.message.includes(PASSWORD));
    await server.start();
    assert.ok(
      await waitFor(() => store.accept(during).then((o) => o === "accepted", () => false)),
      "never reconnected",
    );
  },
  { password: PASSWORD },
);

redisTest(
  "RedisEventStore loses no accepted event when Redis crashes (AOF always)",
  async (server) => {
    await using store = await openStore(server.url, {});
    const events = Array.from({ length: 200 }, (_, i) => event(100 + i));
    const outcomes = await Promise.all(events.map((e) => store.accept(e)));
    assert.ok(outcomes.every((o) => o === "accepted"));
    await server.restart({ signal: "SIGKILL" });
    assert.ok(
      await waitFor(() => store.get("webhook", events[0]!.key).then(Boolean, () => false)),
    );
    for (const incoming of events) {
      const stored = await store.get("webhook", incoming.key);
      assert.equal(stored?.status, "pending", incoming.key);
      assert.deepEqual(stored?.payload, incoming.payload);
    }
    assert.equal(await store.accept(events[0]!), "duplicate");
  },
);

redisTest("RedisEventStore keeps consuming across a Redis restart", async (server) => {
  await using store = await openStore(server.url, { blockMs: 100, visibilityTimeoutMs: 1_000 });
  const seen = new Set<string>();
  const stop = new AbortController();
  const consuming = store.consume((stored) => {
    seen.add(stored.key);
    return Promise.resolve({ ok: true });
  }, consumeOptions(stop.signal));
  const before = event(6);
  await store.accept(before);
  assert.ok(await waitFor(() => seen.has(before.key)));
  await server.restart({ signal: "SIGKILL", downMs: 300 });
  const after = event(7);
  assert.ok(await waitFor(() => store.accept(after).then(() => true, () => false)));
  assert.ok(await waitFor(() => seen.has(after.key)), "no delivery after the restart");
  stop.abort();
  await consuming;
});

redisTest("openRedisEventStore() authenticates with REDIS_PASSWORD", async (server) => {
  await using store = await openStore(server.url, { password: PASSWORD });
  assert.equal(await store.accept(event(8)), "accepted");
}, { password: PASSWORD });

redisTest("openRedisEventStore() refuses a wrong password without printing it", async (server) => {
  const wrong = "wrong-pass-d41d8cd9";
  const error = await openRedisEventStore(server.url, { password: wrong }).then(
    (store: RedisEventStore) => store.close().then(() => assert.fail("opened")),
    (error: Error) => error,
  );
  assert.match(error.message, /cannot reach redis redis:\/\/127\.0\.0\.1:\d+\/0/);
  assert.match(error.message, /WRONGPASS.*REDIS_PASSWORD/);
  assert.ok(!error.message.includes(wrong));
  assert.ok(!error.message.includes(PASSWORD));
}, { password: PASSWORD });

Deno.test({
  name: "openRedisEventStore() rejects when nothing listens, naming the address",
  ignore: redisMissing,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const { port } = listener.addr as Deno.NetAddr;
    listener.close();
    await assert.rejects(
      openRedisEventStore(`redis://:hunter2-xyz@127.0.0.1:${port}`, { connectTimeoutMs: 1_000 }),
      (error: Error) => {
        assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
        assert.ok(!error.message.includes("hunter2"));
        return true;
      },
    );
  },
});

Deno.test("openRedisEventStore() rejects a malformed spec with a StoreSpecError", async () => {
  await assert.rejects(openRedisEventStore("redis://db:6379/x"), StoreSpecError);
});

redisTest("RedisEventStore prefixes isolate two gateways on one Redis", async (server) => {
  await using eu = await openStore(`${server.url}/0?prefix=eu`, {});
  await using us = await openStore(`${server.url}/0?prefix=us`, {});
  const incoming = event(9);
  assert.equal(await eu.accept(incoming), "accepted");
  assert.equal(await us.accept(incoming), "accepted");
  assert.equal(await eu.accept(incoming), "duplicate");
});

redisTest(
  "openRedisEventStore() stays silent about a Redis with AOF and appendfsync always",
  async (server) => {
    const warnings: string[] = [];
    const store = await openRedisEventStore(server.url, { warn: (line) => warnings.push(line) });
    await store.close();
    assert.deepEqual(warnings, []);
  },
);

redisTest(
  "openRedisEventStore() warns when Redis would not keep what it acknowledged",
  async (server) => {
    const probe = await openRedisEventStore(server.url, {});
    await probe.close();
    const cli = (...args: string[]) =>
      new Deno.Command("redis-cli", { args: ["-p", String(server.port), ...args], stdout: "null" })
        .output();
    await cli("CONFIG", "SET", "appendfsync", "everysec");
    const warnings: string[] = [];
    const everysec = await openRedisEventStore(server.url, { warn: (line) => warnings.push(line) });
    await everysec.close();
    await cli("CONFIG", "SET", "appendonly", "no");
    const noAof = await openRedisEventStore(server.url, { warn: (line) => warnings.push(line) });
    await noAof.close();
    assert.equal(warnings.length, 2);
    assert.match(warnings[0] ?? "", /appendfsync everysec/);
    assert.match(warnings[1] ?? "", /no AOF/);
  },
);

redisTest(
  "openRedisEventStore() warns when Redis may evict keys (a claim evicted lets a replay in)",
  async (server) => {
    const cli = (...args: string[]) =>
      new Deno.Command("redis-cli", { args: ["-p", String(server.port), ...args], stdout: "null" })
        .output();
    const warnings: string[] = [];
    for (const policy of ["volatile-lru", "allkeys-lru"]) {
      await cli("CONFIG", "SET", "maxmemory-policy", policy);
      const store = await openRedisEventStore(server.url, { warn: (line) => warnings.push(line) });
      await store.close();
    }
    assert.equal(warnings.length, 2, warnings.join("\n"));
    assert.match(warnings[0] ?? "", /maxmemory-policy volatile-lru/);
    assert.match(warnings[1] ?? "", /maxmemory-policy allkeys-lru/);
    assert.match(warnings[0] ?? "", /noeviction/);
  },
);

redisTest(
  "openRedisEventStore() warns when this machine's clock is off Redis's, and not when it agrees",
  async (server) => {
    const warnings: string[] = [];
    const warn = (line: string) => warnings.push(line);
    const agrees = await openRedisEventStore(server.url, { warn, now: Date.now });
    await agrees.close();
    assert.deepEqual(warnings, []);
    // A minute late: gate 1 here would pass an exact replay another instance's claim no longer holds.
    const late = await openRedisEventStore(server.url, { warn, now: () => Date.now() - 60_000 });
    await late.close();
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0] ?? "", /clock is 6\d\.\d s behind redis redis:\/\/127\.0\.0\.1:/);
    assert.match(warnings[0] ?? "", /NTP/);
  },
);

redisTest(
  "RedisEventStore lists summaries without their payloads, with each payload's size",
  async (server) => {
    await using store = await openStore(server.url);
    const big = { ...incomingEvent("big"), payload: new Uint8Array(300_000).fill(0x61) };
    const small = incomingEvent("small");
    assert.equal(await store.accept(big), "accepted");
    assert.equal(await store.accept(small), "accepted");
    const summaries = await store.list({ status: "pending", limit: 10, withoutPayloads: true });
    assert.deepEqual(summaries.map((e) => e.key).sort(), [big.key, small.key].sort());
    const summary = summaries.find((e) => e.key === big.key);
    assert.equal(summary?.payload.byteLength, 0);
    assert.equal(summary?.payloadBytes, 300_000);
    assert.equal(summary?.id, big.id);
    assert.equal(summary?.status, "pending");
    assert.equal(summary?.receivedAtMs, big.receivedAtMs);
    const whole = (await store.list({ status: "pending", limit: 10 })).find((e) =>
      e.key === big.key
    );
    assert.equal(whole?.payload.byteLength, 300_000);
    assert.equal(whole?.payloadBytes, undefined);
    // A status filter still applies to summaries.
    assert.deepEqual(await store.list({ status: "done", limit: 10, withoutPayloads: true }), []);
  },
);

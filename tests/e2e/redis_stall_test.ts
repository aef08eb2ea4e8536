/**
 * A Redis that stops answering (SIGSTOP: its connections stay open, nothing comes back)
 * must not hold a sender past the store's deadline: every delivery is answered 503 within
 * it, and once Redis runs again deliveries are accepted, nothing answered "accepted" is
 * lost and nothing is accepted twice. A real redis-server and a real `serve`, on loopback.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { openRedisEventStore } from "../../lib/store/redis/mod.ts";
import { redisServerAvailable, startRedisServer } from "../support/redis_server.ts";
import { type ServeProcess, startServe } from "../support/serve_process.ts";

const SECRET = "stall-test-secret-0123456789abcdef";
/** The store's deadline for this test, given in the store URL (`timeout=`). */
const DEADLINE_MS = 2_000;
/** The deadline's timer sweeps every tenth of it; the HTTP round trip on loopback is quick. */
const SLACK_MS = 1_000;
const ignore = !redisServerAvailable();

interface Answer {
  id: string;
  status: number;
  outcome: string | null;
  tookMs: number;
}

async function deliver(serve: ServeProcess, id: string): Promise<Answer> {
  const body = JSON.stringify({ id, type: "stall.test" });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = createHmac("sha256", SECRET).update(`${timestamp}.${body}`).digest("hex");
  const started = performance.now();
  const response = await fetch(`${serve.url}/webhook`, {
    method: "POST",
    headers: { "x-timestamp": timestamp, "x-signature": signature },
    body,
    // Far beyond the deadline: a request that hangs shows up as a long tookMs, not a timeout.
    signal: AbortSignal.timeout(DEADLINE_MS * 5),
  });
  const text = await response.text();
  const outcome = response.status === 200 ? (JSON.parse(text) as { status: string }).status : null;
  return { id, status: response.status, outcome, tookMs: performance.now() - started };
}

Deno.test({
  name:
    "serve answers every delivery 503 within the store's deadline while Redis is frozen, then accepts again without loss or double accept",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using redis = await startRedisServer();
    const store = `${redis.url}/0?timeout=${DEADLINE_MS}ms`;
    await using serve = await startServe({
      env: { WEBHOOK_SECRET: SECRET },
      args: ["--store", store],
    });
    const before = await deliver(serve, `before_${crypto.randomUUID()}`);
    assert.equal(before.outcome, "accepted");

    redis.pause();
    const ids: string[] = [];
    const frozen: Promise<Answer>[] = [];
    try {
      // Waves while Redis is frozen: a new wave arrives while the earlier ones still wait,
      // which is when pipelined commands used to queue behind the first unanswered batch.
      for (let wave = 0; wave < 4; wave++) {
        for (let i = 0; i < 15; i++) {
          const id = `frozen_${wave}_${i}_${crypto.randomUUID()}`;
          ids.push(id);
          frozen.push(deliver(serve, id));
        }
        await new Promise((resolve) => setTimeout(resolve, DEADLINE_MS / 2));
      }
      const answers = await Promise.all(frozen);
      const late = answers.filter((a) => a.tookMs > DEADLINE_MS + SLACK_MS);
      assert.deepEqual(
        late.map((a) => `${a.id}: ${Math.round(a.tookMs)} ms`),
        [],
        "answered after the deadline",
      );
      assert.deepEqual(answers.filter((a) => a.status !== 503).map((a) => a.status), []);
    } finally {
      redis.resume();
    }

    // The senders retry: every delivery ends in accepted or duplicate-ignored (a command cut
    // off by the deadline may still have run once Redis woke up), and none is accepted twice.
    const acceptedCount = new Map<string, number>();
    for (const id of ids) {
      let answer: Answer | null = null;
      const until = Date.now() + 10_000;
      while (Date.now() < until) {
        answer = await deliver(serve, id);
        if (answer.status === 200) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(answer?.status, 200, `${id} was never taken after Redis woke up`);
      if (answer?.outcome === "accepted") {
        acceptedCount.set(id, (acceptedCount.get(id) ?? 0) + 1);
      } else assert.equal(answer?.outcome, "duplicate-ignored");
      const again = await deliver(serve, id);
      assert.equal(again.outcome, "duplicate-ignored", `${id} accepted twice`);
    }
    assert.ok([...acceptedCount.values()].every((count) => count === 1));

    const check = await openRedisEventStore(store);
    try {
      for (const id of ids) {
        assert.ok(await check.get("webhook", `id:${id}`), `${id} is not in Redis`);
      }
    } finally {
      await check.close();
    }
  },
});

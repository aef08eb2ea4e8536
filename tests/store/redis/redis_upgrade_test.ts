/**
 * A Redis written by the previous layout (an inbox stream with a consumer group, status
 * indexes across routes only, the done index scored by expiry): opening the store takes it
 * over, so no event that was answered "accepted" before the upgrade is lost.
 */
import assert from "node:assert/strict";
import { Redis } from "npm:ioredis@6.0.0";
import { openRedisEventStore } from "../../../lib/store/redis/mod.ts";
import { redisTest } from "../../support/redis_store.ts";

const P = "{hookgate}";

/** Writes one event the way the previous layout did. */
async function writeOld(
  redis: Redis,
  id: string,
  status: "pending" | "done" | "dead",
  receivedAtMs: number,
): Promise<string> {
  const member = `webhook:id:${id}`;
  await redis.hset(`${P}:e:${member}`, {
    route: "webhook",
    key: `id:${id}`,
    id,
    hasId: "1",
    payload: JSON.stringify({ id }),
    receivedAtMs: String(receivedAtMs),
    retentionMs: "600000",
    attempt: status === "pending" ? "1" : "2",
    status,
    lastError: status === "dead" ? "gave up" : "",
    hasError: status === "dead" ? "1" : "0",
    gen: crypto.randomUUID(),
    did: "",
  });
  await redis.set(`${P}:c:${member}`, "1", "PX", 600_000);
  const score = status === "done" ? Date.now() + 600_000 : receivedAtMs;
  await redis.zadd(`${P}:s:${status}`, score, member);
  if (status === "pending") await redis.xadd(`${P}:inbox`, "*", "m", member, "g", "old");
  return `id:${id}`;
}

redisTest(
  "openRedisEventStore() takes over the previous layout: its pending events are handed out, done and dead ones listed by route",
  async (server) => {
    const raw = new Redis(server.port, "127.0.0.1", { lazyConnect: true });
    await raw.connect();
    let pending: string, done: string, dead: string;
    try {
      await raw.xgroup("CREATE", `${P}:inbox`, "hookgate", "0", "MKSTREAM");
      const now = Date.now();
      pending = await writeOld(raw, "old_pending", "pending", now - 3_000);
      done = await writeOld(raw, "old_done", "done", now - 2_000);
      dead = await writeOld(raw, "old_dead", "dead", now - 1_000);
    } finally {
      raw.disconnect();
    }

    const store = await openRedisEventStore(server.url);
    try {
      const lease = await store.lease({ route: "webhook", leaseMs: 10_000, waitMs: 0 });
      assert.equal(lease?.event.key, pending);
      assert.equal(lease?.event.attempt, 2, "the attempt before the upgrade still counts");
      const settled = await store.settle(
        { route: "webhook", key: pending, leaseId: lease!.leaseId },
        { ok: true },
        { maxAttempts: 5, retryDelayMs: () => 0 },
      );
      assert.equal(settled, "done");
      const listed = await store.list({ route: "webhook", limit: 10 });
      assert.deepEqual(listed.map((e) => [e.key, e.status]), [
        [dead, "dead"],
        [done, "done"],
        [pending, "done"],
      ]);
      assert.equal(await store.lease({ leaseMs: 10_000, waitMs: 0 }), null);
    } finally {
      await store.close();
    }
  },
);

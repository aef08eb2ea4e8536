/**
 * A fleet: several real `hookgate serve` processes on one real Redis, loopback
 * only, bounded in count and time. What a load balancer in front of N
 * instances does to them: the same event at two instances at once, an
 * instance killed mid-handler, Redis restarted under load.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import type { RedisServer } from "../support/redis_server.ts";
import { openStore, redisTest } from "../support/redis_store.ts";
import { type ServeProcess, startServe } from "../support/serve_process.ts";
import { tempDir } from "../support/temp_dir.ts";
import { waitFor } from "../support/wait.ts";

const SECRET = "fleet-test-secret-0123456789abcdef";

function signed(id: string): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ id, type: "fleet.test" });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = createHmac("sha256", SECRET).update(`${timestamp}.${body}`).digest("hex");
  return {
    body,
    headers: {
      "content-type": "application/json",
      "x-timestamp": timestamp,
      "x-signature": signature,
    },
  };
}

interface Answer {
  status: number;
  body: string;
  sentAtMs: number;
  answeredAtMs: number;
}

async function deliver(instance: ServeProcess, id: string): Promise<Answer> {
  const { body, headers } = signed(id);
  const sentAtMs = Date.now();
  try {
    const response = await fetch(`${instance.url}/webhook`, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(10_000),
    });
    return {
      status: response.status,
      body: await response.text(),
      sentAtMs,
      answeredAtMs: Date.now(),
    };
  } catch (error) {
    return { status: 0, body: String(error), sentAtMs, answeredAtMs: Date.now() };
  }
}

function statusOf(answer: Answer): string | null {
  if (answer.status !== 200) return null;
  return (JSON.parse(answer.body) as { status: string }).status;
}

/** Ids the default act (one JSON line per handled event on stdout) reports, across instances. */
function handledIds(instances: ServeProcess[]): Set<string> {
  const ids = new Set<string>();
  for (const instance of instances) {
    for (const line of instance.stdout().split("\n")) {
      if (!line.startsWith("{")) continue;
      const parsed = JSON.parse(line) as { event?: string; id?: string };
      if (parsed.event === "verified" && parsed.id) ids.add(parsed.id);
    }
  }
  return ids;
}

interface Fleet extends AsyncDisposable {
  instances: ServeProcess[];
  /** The store URL every instance uses. */
  store: string;
}

/** `count` serve processes on one Redis; `await using` SIGKILLs every one however the test ends. */
async function startFleet(
  redis: RedisServer,
  count: number,
  options: { storeQuery?: string; args?: string[] } = {},
): Promise<Fleet> {
  const instances: ServeProcess[] = [];
  const store = `${redis.url}/0${options.storeQuery ?? ""}`;
  const kill = async () => {
    await Promise.all(instances.map((instance) => instance.stop("SIGKILL")));
  };
  try {
    for (let i = 0; i < count; i++) {
      instances.push(
        await startServe({
          // FLEET_INSTANCE tells the agents which instance ran them (passed on with --exec-env).
          env: { WEBHOOK_SECRET: SECRET, FLEET_INSTANCE: String(i) },
          args: ["--store", store, ...(options.args ?? [])],
        }),
      );
    }
  } catch (error) {
    await kill();
    throw error;
  }
  return { instances, store, [Symbol.asyncDispose]: kill };
}

/** Runs `task` over `items` with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, task: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await task(items[next++] as T);
  }));
}

redisTest(
  "fleet: 500 events each sent to two of three instances at once: 500 accepted, 500 duplicates, all handled",
  async (redis) => {
    await using fleet = await startFleet(redis, 3);
    const { instances } = fleet;
    const ids = Array.from({ length: 500 }, (_, i) => `fleet_${i}_${crypto.randomUUID()}`);
    const answers: Answer[] = [];
    await pool(ids, 16, async (id) => {
      const first = Math.floor(Math.random() * 3);
      const second = (first + 1 + Math.floor(Math.random() * 2)) % 3;
      answers.push(
        ...await Promise.all([
          deliver(instances[first] as ServeProcess, id),
          deliver(instances[second] as ServeProcess, id),
        ]),
      );
    });
    const statuses = answers.map(statusOf);
    assert.equal(answers.filter((a) => a.status !== 200).length, 0, "every answer is a 200");
    assert.equal(statuses.filter((s) => s === "accepted").length, 500);
    assert.equal(statuses.filter((s) => s === "duplicate-ignored").length, 500);
    const handled = await waitFor(() => handledIds(instances).size === ids.length, 30_000);
    const seen = handledIds(instances);
    assert.ok(handled, `handled ${seen.size} of ${ids.length}`);
    for (const id of ids) assert.ok(seen.has(id), id);
  },
);

redisTest(
  "fleet: an instance SIGKILLed while its handler holds events: the others take them over",
  async (redis) => {
    await using dir = await tempDir("hookgate-fleet-");
    const log = `${dir.path}/handled.log`;
    // Each hand-off takes 1.5 s, then logs "<id> <attempt> <instance> <ms>". The agents of
    // a killed instance die with it, so it logs nothing after the kill.
    const exec =
      `sleep 1.5; echo "$HOOKGATE_EVENT_ID $HOOKGATE_ATTEMPT $FLEET_INSTANCE $(date +%s%3N)" >> ${log}`;
    await using fleet = await startFleet(redis, 3, {
      storeQuery: "?visibility_timeout=2s",
      args: ["--exec", exec, "--exec-concurrency", "4", "--exec-env", "FLEET_INSTANCE"],
    });
    const { instances } = fleet;
    const ids = Array.from({ length: 30 }, (_, i) => `kill_${i}_${crypto.randomUUID()}`);
    const answers = await Promise.all(
      ids.map((id, i) => deliver(instances[i % 3] as ServeProcess, id)),
    );
    assert.ok(answers.every((a) => statusOf(a) === "accepted"));
    // Mid-run: the victim's handlers hold events it took but never finished.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const victim = instances[0] as ServeProcess;
    await victim.stop("SIGKILL");
    const killedAtMs = Date.now();
    const lines = async () =>
      (await Deno.readTextFile(log).catch(() => "")).split("\n").filter(Boolean).map(
        (line) => {
          const [id, attempt, instance, atMs] = line.split(" ");
          return { id, attempt: Number(attempt), instance, atMs: Number(atMs) };
        },
      );
    const handled = async () =>
      new Set(
        (await lines()).filter((l) => l.instance !== "0" || l.atMs < killedAtMs)
          .map((l) => l.id),
      );
    const complete = await waitFor(async () => (await handled()).size === ids.length, 60_000);
    assert.ok(complete, `handled ${(await handled()).size} of ${ids.length}`);
    const takenOver = (await lines()).filter((l) => l.instance !== "0" && l.attempt >= 2);
    assert.ok(takenOver.length > 0, "no event of the killed instance was taken over");
    // Its agents died with it: nothing of instance 0 finished after the kill.
    const late = (await lines()).filter((l) => l.instance === "0" && l.atMs > killedAtMs + 200);
    assert.deepEqual(late, [], "an agent of the killed instance outlived it");
  },
);

redisTest(
  "fleet: Redis restarted under load: 503 during the outage, never 200; retries complete",
  async (redis) => {
    await using fleet = await startFleet(redis, 2);
    const { instances, store } = fleet;
    const ids: string[] = [];
    const answers: Answer[] = [];
    let haltedAtMs = Infinity;
    let restartingAtMs = Infinity;
    let outageOver = false;
    const outage = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 700));
      await redis.halt("SIGKILL");
      haltedAtMs = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      restartingAtMs = Date.now();
      await redis.start();
      await new Promise((resolve) => setTimeout(resolve, 500));
      outageOver = true;
    })();
    const accepted = new Set<string>();
    const finalStatus = new Map<string, string>();
    // The sender's retry loop: a 503 (or no answer) is retried, bounded in count and time; an
    // event that never got its 200 fails the finalStatus check below.
    const giveUpAtMs = Date.now() + 60_000;
    const send = async (id: string) => {
      for (let attempt = 0; attempt < 200 && Date.now() < giveUpAtMs; attempt++) {
        const answer = await deliver(
          instances[(attempt + ids.length) % instances.length] as ServeProcess,
          id,
        );
        answers.push(answer);
        const status = statusOf(answer);
        if (status !== null) {
          if (status === "accepted") accepted.add(id);
          finalStatus.set(id, status);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    // New events keep coming (4 senders, paced) until well after Redis is back; at most 1,000.
    const sender = Promise.all(Array.from({ length: 4 }, async () => {
      while (!outageOver && ids.length < 1_000 && Date.now() < giveUpAtMs) {
        const id = `outage_${ids.length}_${crypto.randomUUID()}`;
        ids.push(id);
        await send(id);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }));
    await Promise.all([outage, sender]);

    const duringOutage = answers.filter((a) =>
      a.sentAtMs > haltedAtMs && a.answeredAtMs < restartingAtMs
    );
    assert.ok(duringOutage.length > 0, "no request fell into the outage");
    assert.deepEqual(
      duringOutage.filter((a) => a.status === 200),
      [],
      "a 200 was answered while Redis was down",
    );
    assert.ok(duringOutage.some((a) => a.status === 503), "no 503 during the outage");
    assert.ok(answers.every((a) => a.status === 200 || a.status === 503), "only 200 and 503");

    // Every event went through, and everything answered "accepted" is in Redis.
    assert.equal(finalStatus.size, ids.length, "some event never got a 200");
    await using check = await openStore(store);
    for (const id of ids) {
      assert.ok(await check.get("webhook", `id:${id}`), `${id} is not in Redis`);
    }
    assert.ok(accepted.size > 0);
    const handled = await waitFor(() => handledIds(instances).size === ids.length, 30_000);
    assert.ok(handled, `handled ${handledIds(instances).size} of ${ids.length}`);
  },
);

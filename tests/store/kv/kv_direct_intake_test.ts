/**
 * Events the KV store accepts while its push consumer has room are leased to that
 * consumer in the accept commit itself: no scan of the inbox, no lease commit. These
 * tests pin what that must keep: each event handed out once, a stopped consumer's
 * unstarted events due again at once, a dead consumer's events due after the lease.
 */
import assert from "node:assert/strict";
import type { IncomingEvent } from "../../../lib/store/mod.ts";
import { KvEventStore } from "../../../lib/store/kv/mod.ts";
import { tempDir } from "../../support/temp_dir.ts";
import { waitFor } from "../../support/wait.ts";

const POLICY = { maxAttempts: 3, retryDelayMs: () => 0 };

function event(key: string): IncomingEvent {
  return {
    route: "webhook",
    key,
    id: key,
    payload: new TextEncoder().encode(`{"id":"${key}"}`),
    receivedAtMs: Date.now(),
    retentionMs: 600_000,
  };
}

async function until(what: string, check: () => boolean): Promise<void> {
  if (!(await waitFor(check, 5_000, 2))) throw new Error(`timed out waiting for ${what}`);
}

/** A store on a KV file whose list() calls (inbox scans among them) are counted. */
async function countingStore(path: string, options: ConstructorParameters<typeof KvEventStore>[1]) {
  const kv = await Deno.openKv(path);
  const counts = { lists: 0 };
  const list = kv.list.bind(kv);
  kv.list = ((selector: Deno.KvListSelector, listOptions?: Deno.KvListOptions) => {
    counts.lists++;
    return list(selector, listOptions);
  }) as typeof kv.list;
  const store = new KvEventStore(kv, options);
  return {
    store,
    counts,
    async [Symbol.asyncDispose]() {
      await store.close();
    },
  };
}

/** The raw due keys of a KV file: when each is due, and whether a lease holds it. */
async function dueKeys(path: string): Promise<{ key: string; dueAtMs: number; leased: boolean }[]> {
  const raw = await Deno.openKv(path);
  try {
    const out = [];
    for await (
      const due of raw.list<{ leaseId?: string | null }>({ prefix: ["hookgate", "due"] })
    ) {
      out.push({
        key: due.key[4] as string,
        dueAtMs: due.key[2] as number,
        leased: typeof due.value.leaseId === "string",
      });
    }
    return out;
  } finally {
    raw.close();
  }
}

Deno.test("KvEventStore hands events accepted while its consumer has room to it without scanning the inbox", async () => {
  await using dir = await tempDir("hookgate-kv-direct-");
  // A poll far away: every scan in this test is one the consumer chose to make.
  await using kv = await countingStore(`${dir.path}/hookgate.kv`, { pollMs: 60_000 });
  const { store, counts } = kv;
  const stop = new AbortController();
  const handled: string[] = [];
  const consuming = store.consume((stored) => {
    handled.push(stored.key);
    return Promise.resolve({ ok: true });
  }, { signal: stop.signal, concurrency: 1, ...POLICY });
  // The consumer's first scan of the (empty) inbox.
  await until("the consumer's first scan", () => counts.lists > 0);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const listsBefore = counts.lists;
  const keys = Array.from({ length: 40 }, (_, i) => `e${i}`);
  for (const key of keys) {
    assert.equal(await store.accept(event(key)), "accepted");
    await until(`${key} handed out`, () => handled.includes(key));
  }
  stop.abort();
  await consuming;
  assert.deepEqual(handled, keys, "each event handed out once, in order");
  // Scanning for each accepted event would be forty scans or more.
  assert.ok(
    counts.lists - listsBefore <= 2,
    `the consumer scanned the inbox ${counts.lists - listsBefore} times for 40 events`,
  );
  const done = await store.list({ status: "done", limit: 100 });
  assert.equal(done.length, 40);
  assert.ok(done.every((stored) => stored.attempt === 1), "one attempt each");
  assert.deepEqual(await dueKeys(`${dir.path}/hookgate.kv`), [], "nothing left in the inbox");
});

Deno.test("KvEventStore: an event leased in its accept commit to a consumer that stops is due again at once", async () => {
  await using dir = await tempDir("hookgate-kv-direct-");
  const path = `${dir.path}/hookgate.kv`;
  await using kv = await countingStore(path, { leaseMs: 30_000 });
  const { store } = kv;
  const stop = new AbortController();
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => release = resolve);
  const started: string[] = [];
  const consuming = store.consume(async (stored, { signal }) => {
    started.push(stored.key);
    await Promise.race([blocked, new Promise((r) => signal.addEventListener("abort", r))]);
    return { ok: true };
  }, { signal: stop.signal, concurrency: 1, graceMs: 0, ...POLICY });
  await store.accept(event("first"));
  await until("the first hand-off", () => started.length === 1);
  // The consumer has room for one more ahead of its busy handler: leased in its accept commit.
  const acceptedMs = Date.now();
  await store.accept(event("second"));
  const keys = await dueKeys(path);
  const second = keys.find((due) => due.key === "second");
  assert.ok(second?.leased, "the second event was not leased at accept");
  assert.ok(second.dueAtMs >= acceptedMs + 25_000, "its due key stands at the lease's expiry");
  const shown = await store.get("webhook", "second");
  assert.equal(shown?.status, "pending");
  stop.abort();
  await consuming;
  release();
  // Never started: free now, with no attempt counted, not after the 30 s lease.
  const lease = await store.lease({ leaseMs: 30_000, waitMs: 0 });
  const other = await store.lease({ leaseMs: 30_000, waitMs: 0 });
  const byKey = new Map([lease, other].map((l) => [l?.event.key, l?.event.attempt]));
  assert.equal(byKey.get("second"), 1, "the unstarted event was not free at once");
  assert.equal(byKey.get("first"), 2, "the event cut short is due again with its next attempt");
});

Deno.test("KvEventStore: an event leased in its accept commit by a process that dies is handed out after the lease", async () => {
  await using dir = await tempDir("hookgate-kv-direct-");
  const path = `${dir.path}/hookgate.kv`;
  const storeModule = new URL("../../../lib/store/kv/mod.ts", import.meta.url).href;
  // A serve-like process: a consumer whose hand-off never ends, then an accepted event.
  const script = `
    import { KvEventStore } from ${JSON.stringify(storeModule)};
    const store = new KvEventStore(await Deno.openKv(${JSON.stringify(path)}), { leaseMs: 400 });
    store.consume(() => new Promise(() => {}), {
      signal: new AbortController().signal, concurrency: 1, maxAttempts: 3, retryDelayMs: () => 0,
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await store.accept({ route: "webhook", key: "k", id: "k", payload: new TextEncoder().encode("{}"),
      receivedAtMs: Date.now(), retentionMs: 600000 });
    console.log("accepted");
    await new Promise(() => {});
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--unstable-kv", script],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    const readUntilAccepted = async () => {
      while (!seen.includes("accepted")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("the child ended before accepting");
        seen += value;
      }
    };
    await Promise.race([
      readUntilAccepted(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error("child never accepted")), 20_000)
      ),
    ]);
    const [held] = await dueKeys(path);
    assert.ok(held?.leased, "the event was leased to the child's consumer in its accept commit");
    child.kill("SIGKILL");
    await child.status;
    await reader.cancel().catch(() => {});
  } catch (error) {
    child.kill("SIGKILL");
    await child.status;
    throw error;
  }
  await using kv = await countingStore(path, {});
  const lease = await kv.store.lease({ leaseMs: 30_000, waitMs: 5_000 });
  assert.equal(lease?.event.key, "k", "the dead process's event was never handed out again");
  assert.equal(lease?.event.attempt, 2);
});

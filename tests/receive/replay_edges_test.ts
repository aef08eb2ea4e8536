/**
 * Replay at the edges of the receive path: a GitHub body re-sent under another
 * delivery id, an exact replay at the last instant its timestamp is fresh, a
 * timestamp spelled with a leading zero, ids that differ only in lone surrogates, an id
 * holding a NUL.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import type { EventStore, IncomingEvent } from "../../lib/store/mod.ts";
import { openKvEventStore } from "../../lib/store/kv/mod.ts";
import { openSqliteEventStore } from "../../lib/store/sqlite/mod.ts";
import { createWebhookHandler, type Route } from "../../lib/receive/mod.ts";
import { githubScheme, hookgateScheme, type Scheme } from "../../lib/schemes/mod.ts";
import { importHmacKey, utf8 } from "../../lib/util/mod.ts";
import { closing } from "../support/closing.ts";
import { expiringStore } from "../support/expiring_store.ts";
import { tempDir } from "../support/temp_dir.ts";
import { waitFor } from "../support/wait.ts";

const SECRET = "replay-edges-secret-0123456789";
const NOW_S = 1_700_000_000;

/** The receive handler for one route at /webhook with `scheme`, answering from `store`. */
function handlerFor(
  scheme: Scheme,
  limits: { toleranceSeconds: number; retentionMs: number },
  store: EventStore,
  now: () => number,
) {
  const route: Route = {
    path: "/webhook",
    name: "webhook",
    scheme,
    secretVar: "WEBHOOK_SECRET",
    keys: [{ key: importHmacKey(utf8(SECRET)), expiresAtMs: null }],
    ...limits,
  };
  return createWebhookHandler({
    routes: [route],
    store,
    maxBodyBytes: 4096,
    now,
    onRecord: () => {},
  });
}

/** A real Deno KV store in a temporary directory, removed on dispose. */
async function kvStore(now: () => number) {
  const dir = await tempDir("hookgate-replay-");
  const store = await openKvEventStore(`${dir.path}/events.kv`, { now });
  return {
    store,
    async [Symbol.asyncDispose]() {
      await store.close();
      await dir[Symbol.asyncDispose]();
    },
  };
}

/** The GitHub route (5 min tolerance, 7 days' retention) on a real KV store, removed on dispose. */
async function githubOnKv(now: () => number) {
  const kv = await kvStore(now);
  const retentionMs = 7 * 86_400_000;
  const handler = handlerFor(
    githubScheme,
    { toleranceSeconds: 300, retentionMs },
    kv.store,
    now,
  );
  return { store: kv.store, handler, [Symbol.asyncDispose]: () => kv[Symbol.asyncDispose]() };
}

function githubPost(body: string, delivery: string | null): Request {
  const signature = createHmac("sha256", SECRET).update(body).digest("hex");
  const headers: Record<string, string> = { "x-hub-signature-256": `sha256=${signature}` };
  if (delivery !== null) headers["x-github-delivery"] = delivery;
  return new Request("http://127.0.0.1/webhook", { method: "POST", body, headers });
}

function hookgatePost(body: string, timestamp: string, signedTimestamp = timestamp): Request {
  const signature = createHmac("sha256", SECRET).update(`${signedTimestamp}.`).update(body)
    .digest("hex");
  return new Request("http://127.0.0.1/webhook", {
    method: "POST",
    body,
    headers: { "x-timestamp": timestamp, "x-signature": signature },
  });
}

async function outcome(response: Response): Promise<string> {
  const body = await response.json();
  return `${response.status} ${body.status ?? body.error}`;
}

Deno.test("github: the same signed body under a new delivery id, or none, is duplicate-ignored", async () => {
  let nowMs = NOW_S * 1000;
  await using kv = await githubOnKv(() => nowMs);
  const { handler } = kv;
  const body = '{"action":"opened","number":7}';
  assert.equal(await outcome(await handler(githubPost(body, "d-1"))), "200 accepted");
  nowMs += 3_600_000;
  assert.equal(await outcome(await handler(githubPost(body, "d-2"))), "200 duplicate-ignored");
  assert.equal(await outcome(await handler(githubPost(body, null))), "200 duplicate-ignored");
  assert.equal(await outcome(await handler(githubPost(body, "d-1"))), "200 duplicate-ignored");
  // Only the first delivery reached the inbox.
  assert.equal((await kv.store.list({ status: "pending", limit: 10 })).length, 1);
  assert.equal(await kv.store.get("webhook", "id:d-2"), null);
  // A different body is a different event, even under a reused delivery id's neighbour.
  assert.equal(await outcome(await handler(githubPost('{"number":8}', "d-3"))), "200 accepted");
});

Deno.test("github: an id-less first delivery still blocks the same body under a delivery id", async () => {
  const nowMs = NOW_S * 1000;
  await using kv = await githubOnKv(() => nowMs);
  const { handler } = kv;
  const body = '{"zen":"Keep it logically awesome."}';
  assert.equal(await outcome(await handler(githubPost(body, null))), "200 accepted");
  assert.equal(await outcome(await handler(githubPost(body, "d-9"))), "200 duplicate-ignored");
});

Deno.test("an exact replay is still a duplicate at the last instant its timestamp passes gate 1", async () => {
  // Tolerance 1 s, received at the start of second S, stamped the most it may be ahead (S + 1):
  // gate 1 passes while now is within second S + 2, i.e. until (S + 3) s - 1 ms.
  let nowMs = NOW_S * 1000;
  const { store, accepted } = expiringStore(() => nowMs);
  const handler = handlerFor(
    hookgateScheme,
    { toleranceSeconds: 1, retentionMs: 2_000 },
    store,
    () => nowMs,
  );
  const body = '{"id":"edge-1"}';
  const ts = String(NOW_S + 1);
  assert.equal(await outcome(await handler(hookgatePost(body, ts))), "200 accepted");
  const claim = accepted[0] as IncomingEvent;
  assert.equal(claim.receivedAtMs + claim.retentionMs, (NOW_S + 3) * 1000);
  nowMs = (NOW_S + 3) * 1000 - 1;
  assert.equal(await outcome(await handler(hookgatePost(body, ts))), "200 duplicate-ignored");
  nowMs = (NOW_S + 3) * 1000;
  assert.equal(
    await outcome(await handler(hookgatePost(body, ts))),
    "401 timestamp outside allowed window",
  );
  assert.equal(accepted.length, 1);
});

Deno.test("a timestamp with a leading zero is 401 missing/invalid timestamp, however it was signed", async () => {
  const nowMs = NOW_S * 1000;
  const { store, accepted } = expiringStore(() => nowMs);
  const handler = handlerFor(
    hookgateScheme,
    { toleranceSeconds: 300, retentionMs: 600_000 },
    store,
    () => nowMs,
  );
  const ts = String(NOW_S);
  for (
    const request of [
      hookgatePost('{"id":"z1"}', `0${ts}`, ts),
      hookgatePost('{"id":"z2"}', `0${ts}`),
      hookgatePost('{"id":"z3"}', `00${ts}`, ts),
    ]
  ) {
    assert.equal(await outcome(await handler(request)), "401 missing/invalid timestamp");
  }
  assert.equal(accepted.length, 0);
  assert.equal(await outcome(await handler(hookgatePost('{"id":"z4"}', ts))), "200 accepted");
});

Deno.test('ids that differ only in lone surrogates are distinct events; 1001 and "1001" are one', async () => {
  const nowMs = NOW_S * 1000;
  await using kv = await kvStore(() => nowMs);
  const handler = handlerFor(
    hookgateScheme,
    { toleranceSeconds: 300, retentionMs: 600_000 },
    kv.store,
    () => nowMs,
  );
  const ts = String(NOW_S);
  const a = '{"id":"sg\\ud801y"}';
  const b = '{"id":"sg\\udbffy"}';
  assert.equal(await outcome(await handler(hookgatePost(a, ts))), "200 accepted");
  assert.equal(await outcome(await handler(hookgatePost(b, ts))), "200 accepted");
  assert.equal(await outcome(await handler(hookgatePost(b, ts))), "200 duplicate-ignored");
  assert.equal((await kv.store.list({ status: "pending", limit: 10 })).length, 2);
  // A well-formed id cannot collide with the spelled-out form of an ill-formed one.
  assert.equal(
    await outcome(await handler(hookgatePost('{"id":"sg\uFFFDy"}', ts))),
    "200 accepted",
  );
  assert.equal(await outcome(await handler(hookgatePost('{"id":1001}', ts))), "200 accepted");
  assert.equal(
    await outcome(await handler(hookgatePost('{"id":"1001"}', ts))),
    "200 duplicate-ignored",
  );
});

Deno.test("an id holding a NUL is 400 and stored nowhere: on SQLite it would read back as another id", async () => {
  // SQLite text read back ends at a NUL: "n\u0000a" would come back as "n", so its hand-off
  // could never be settled (handed to the agent again and again) and it would show as "n".
  await using dir = await tempDir("hookgate-replay-");
  await using store = closing(await openSqliteEventStore(`${dir.path}/hookgate.db`));
  const handler = await handlerFor(
    hookgateScheme,
    { toleranceSeconds: 300, retentionMs: 600_000 },
    store,
    Date.now,
  );
  const ts = String(Math.floor(Date.now() / 1000));
  assert.equal(
    await outcome(await handler(hookgatePost('{"id":"n\\u0000a"}', ts))),
    "400 id must not contain a NUL character",
  );
  assert.equal(await outcome(await handler(hookgatePost('{"id":"n"}', ts))), "200 accepted");
  const pending = await store.list({ status: "pending", limit: 10 });
  assert.deepEqual(pending.map((event) => [event.key, event.id]), [["id:n", "n"]]);
  // The one event is handed off once and settled.
  const handedOff: string[] = [];
  const stop = new AbortController();
  const consuming = store.consume((event) => {
    handedOff.push(event.key);
    return Promise.resolve({ ok: true });
  }, { signal: stop.signal, concurrency: 2, maxAttempts: 3, retryDelayMs: () => 10 });
  try {
    assert.ok(
      await waitFor(async () => (await store.get("webhook", "id:n"))?.status === "done", 5_000),
    );
  } finally {
    stop.abort();
    await consuming;
  }
  assert.deepEqual(handedOff, ["id:n"]);
  assert.equal((await store.list({ status: "pending", limit: 10 })).length, 0);
});

/**
 * Exact replays answered from the receive path's memory of accepted signatures: never for a
 * body the signature does not cover, never past the claim, never for a signature that was
 * not the one candidate, never across routes, and always with the event's key and id.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { StoreFailedError } from "../../lib/store/mod.ts";
import { expiringStore, type ExpiringStoreOptions } from "../support/expiring_store.ts";
import { createWebhookHandler, type RequestRecord, type Route } from "../../lib/receive/mod.ts";
import { ReplayMemory } from "../../lib/receive/replay_memory.ts";
import {
  githubScheme,
  hookgateScheme,
  type Scheme,
  standardScheme,
} from "../../lib/schemes/mod.ts";
import { fromBase64, importHmacKey, utf8 } from "../../lib/util/mod.ts";

const SECRET = "replay-memory-secret-0123456789";
const STANDARD_SECRET = "whsec_" + btoa("replay-memory-standard-key-0123");
const NOW_S = 1_700_000_000;

function routeOf(path: string, scheme: Scheme, retentionMs = 600_000): Route {
  const secret = scheme === standardScheme ? STANDARD_SECRET : SECRET;
  const bytes = scheme.secretBytes(secret);
  if (!bytes.ok) throw new Error(bytes.reason);
  return {
    path,
    name: path.slice(1),
    scheme,
    secretVar: "WEBHOOK_SECRET",
    keys: [{ key: importHmacKey(bytes.value), expiresAtMs: null }],
    toleranceSeconds: 300,
    retentionMs,
  };
}

function setup(
  routes: Route[],
  clock = { nowMs: NOW_S * 1000 },
  storeOptions: ExpiringStoreOptions = {},
) {
  const { store, calls, held } = expiringStore(() => clock.nowMs, storeOptions);
  const records: RequestRecord[] = [];
  const handler = createWebhookHandler({
    routes,
    store,
    maxBodyBytes: 4096,
    now: () => clock.nowMs,
    onRecord: (record) => records.push(record),
  });
  return { handler, calls, held, records, clock };
}

function hookgatePost(path: string, body: string, signature?: string): Request {
  const ts = String(NOW_S);
  return new Request(`http://127.0.0.1${path}`, {
    method: "POST",
    body,
    headers: {
      "x-timestamp": ts,
      "x-signature": signature ??
        createHmac("sha256", SECRET).update(`${ts}.`).update(body).digest("hex"),
    },
  });
}

async function outcome(response: Response): Promise<string> {
  const body = await response.json();
  return `${response.status} ${body.status ?? body.error}`;
}

Deno.test("an exact replay is answered duplicate-ignored without reaching the store, with its key and id", async () => {
  const { handler, calls, records } = setup([routeOf("/webhook", hookgateScheme)]);
  const body = '{"id":"evt_7","event":"push"}';
  assert.equal(await outcome(await handler(hookgatePost("/webhook", body))), "200 accepted");
  for (let i = 0; i < 3; i++) {
    assert.equal(
      await outcome(await handler(hookgatePost("/webhook", body))),
      "200 duplicate-ignored",
    );
  }
  assert.equal(calls.length, 1, "only the first delivery reached the store");
  assert.deepEqual(
    records.map(({ status, outcome, key, id, bodyBytes }) => ({
      status,
      outcome,
      key,
      id,
      bodyBytes,
    })),
    [
      { status: 200, outcome: "accepted", key: "id:evt_7", id: "evt_7", bodyBytes: body.length },
      ...Array(3).fill({
        status: 200,
        outcome: "duplicate",
        key: "id:evt_7",
        id: "evt_7",
        bodyBytes: body.length,
      }),
    ],
  );
});

Deno.test("a remembered signature on another body is refused at gate 2, and nothing reaches the store", async () => {
  const { handler, calls } = setup([routeOf("/webhook", hookgateScheme)]);
  const body = '{"id":"evt_8"}';
  const response = await handler(hookgatePost("/webhook", body));
  assert.equal(await outcome(response), "200 accepted");
  const signature = createHmac("sha256", SECRET).update(`${NOW_S}.`).update(body).digest("hex");
  for (const forged of ['{"id":"evt_9"}', '{"id":"evt_8"} ', "not json"]) {
    assert.equal(
      await outcome(await handler(hookgatePost("/webhook", forged, signature))),
      "401 bad signature",
      forged,
    );
  }
  assert.equal(calls.length, 1);
});

Deno.test("once the claim has run out the memory no longer answers: the store decides", async () => {
  // GitHub signs no timestamp: its replays stay fresh, only the claim bounds them.
  const route = routeOf("/github", githubScheme, 60_000);
  const { handler, calls, clock } = setup([route]);
  const body = '{"zen":"Design for failure."}';
  const post = () => {
    const signature = createHmac("sha256", SECRET).update(body).digest("hex");
    return new Request("http://127.0.0.1/github", {
      method: "POST",
      body,
      headers: { "x-hub-signature-256": `sha256=${signature}`, "x-github-delivery": "d-1" },
    });
  };
  assert.equal(await outcome(await handler(post())), "200 accepted");
  clock.nowMs += 59_999;
  assert.equal(await outcome(await handler(post())), "200 duplicate-ignored");
  assert.equal(calls.length, 1, "answered from memory within the claim");
  clock.nowMs += 1;
  assert.equal(await outcome(await handler(post())), "200 accepted");
  assert.equal(calls.length, 2, "past the claim, the store was asked and took it anew");
});

Deno.test("a delivery the store called a duplicate is not remembered: its claim's end is the store's", async () => {
  const { handler, calls, held } = setup([routeOf("/webhook", hookgateScheme)]);
  held.set("webhook\0id:evt_10", Number.MAX_SAFE_INTEGER);
  const body = '{"id":"evt_10"}';
  for (let i = 0; i < 2; i++) {
    assert.equal(
      await outcome(await handler(hookgatePost("/webhook", body))),
      "200 duplicate-ignored",
    );
  }
  assert.equal(calls.length, 2);
});

Deno.test("a replay on another route, or carrying more than one signature, takes the full path", async () => {
  const routes = [
    routeOf("/webhook", hookgateScheme),
    routeOf("/other", hookgateScheme),
    routeOf("/standard", standardScheme),
  ];
  const { handler, calls } = setup(routes);
  const body = '{"id":"evt_11"}';
  assert.equal(await outcome(await handler(hookgatePost("/webhook", body))), "200 accepted");
  // The same signed delivery on another route is another claim: the store is asked.
  assert.equal(await outcome(await handler(hookgatePost("/other", body))), "200 accepted");
  assert.equal(calls.length, 2);
  // Two candidates (the route's key and a foreign one): which one matched is not known.
  const routeKey = (routes[2] as Route).keys[0]!.key;
  const foreign = importHmacKey(fromBase64(btoa("another-key-entirely-0123456789"))!);
  const headers = standardScheme.sign(utf8(body), {
    keys: [foreign, routeKey],
    timestampSeconds: NOW_S,
    id: "msg_1",
  });
  const standardPost = () =>
    new Request("http://127.0.0.1/standard", { method: "POST", body, headers });
  assert.match(headers["webhook-signature"] ?? "", /^v1,\S+ v1,\S+$/);
  assert.equal(await outcome(await handler(standardPost())), "200 accepted");
  assert.equal(await outcome(await handler(standardPost())), "200 duplicate-ignored");
  assert.equal(calls.length, 4, "both standard deliveries reached the store");
});

Deno.test("once the store has failed for good, a replay is answered 503 like everything else", async () => {
  let failing = false;
  const { handler, calls } = setup([routeOf("/webhook", hookgateScheme)], undefined, {
    fail: () => failing ? new StoreFailedError("an fdatasync failed (EIO)") : null,
  });
  const body = '{"id":"evt_20"}';
  assert.equal(await outcome(await handler(hookgatePost("/webhook", body))), "200 accepted");
  failing = true;
  assert.equal(
    await outcome(await handler(hookgatePost("/webhook", '{"id":"evt_21"}'))),
    "503 store unavailable, retry later",
  );
  for (let i = 0; i < 2; i++) {
    assert.equal(
      await outcome(await handler(hookgatePost("/webhook", body))),
      "503 store unavailable, retry later",
    );
  }
  assert.equal(calls.length, 4, "every delivery after the failure asked the store");
});

Deno.test("a store that does not answer replays from memory (a shared one) is asked every time", async () => {
  const { handler, calls } = setup([routeOf("/webhook", hookgateScheme)], undefined, {
    replaysFromMemory: false,
  });
  const body = '{"id":"evt_22"}';
  assert.equal(await outcome(await handler(hookgatePost("/webhook", body))), "200 accepted");
  assert.equal(
    await outcome(await handler(hookgatePost("/webhook", body))),
    "200 duplicate-ignored",
  );
  assert.equal(calls.length, 2);
});

Deno.test("a delivery the store could not take is not remembered: its retry reaches the store", async () => {
  let failing = true;
  const { handler, calls } = setup([routeOf("/webhook", hookgateScheme)], undefined, {
    fail: () => failing ? new Error("database is locked") : null,
  });
  const body = '{"id":"evt_23"}';
  assert.equal(
    await outcome(await handler(hookgatePost("/webhook", body))),
    "503 store unavailable, retry later",
  );
  failing = false;
  assert.equal(await outcome(await handler(hookgatePost("/webhook", body))), "200 accepted");
  assert.equal(calls.length, 2);
});

Deno.test("github: the same signed body under a new delivery id takes the full path and is recorded under its own id", async () => {
  const { handler, calls, records } = setup([routeOf("/github", githubScheme)]);
  const body = '{"zen":"Approachable is better than simple."}';
  const post = (delivery: string) => {
    const signature = createHmac("sha256", SECRET).update(body).digest("hex");
    return new Request("http://127.0.0.1/github", {
      method: "POST",
      body,
      headers: { "x-hub-signature-256": `sha256=${signature}`, "x-github-delivery": delivery },
    });
  };
  assert.equal(await outcome(await handler(post("d-1"))), "200 accepted");
  assert.equal(await outcome(await handler(post("d-1"))), "200 duplicate-ignored");
  assert.equal(calls.length, 1, "the exact replay was answered from memory");
  // The store's claim of the body's digest makes it a duplicate, under its own delivery id.
  assert.equal(await outcome(await handler(post("d-2"))), "200 duplicate-ignored");
  assert.equal(calls.length, 2, "another delivery id reached the store");
  assert.equal(records.at(-1)?.key, "id:d-2");
});

/** A verified delivery's tag: its candidate signatures and its id header. */
const tagged = (...signatures: Uint8Array[]) => ({ signatures, headerId: null });

Deno.test("ReplayMemory recalls one verified signature per route until the claim's end, and forgets the oldest", () => {
  const memory = new ReplayMemory(4);
  const signature = (n: number) => new Uint8Array(32).fill(n);
  const recalled = (route: string, signatures: Uint8Array[], nowMs: number) => {
    const event = memory.recall(route, tagged(...signatures), nowMs);
    return event && { key: event.key, id: event.id };
  };
  memory.remember("webhook", tagged(signature(1)), { key: "id:1", id: "1" }, 2_000);
  assert.deepEqual(recalled("webhook", [signature(1)], 1_999), { key: "id:1", id: "1" });
  assert.equal(recalled("webhook", [signature(1)], 2_000), null);
  assert.equal(recalled("other", [signature(1)], 0), null);
  assert.equal(recalled("webhook", [signature(1), signature(2)], 0), null);
  memory.remember("webhook", tagged(signature(2), signature(3)), { key: "id:2", id: "2" }, 9_000);
  assert.equal(recalled("webhook", [signature(2)], 0), null, "two candidates: not kept");
  for (let n = 10; n < 16; n++) {
    memory.remember("webhook", tagged(signature(n)), { key: `id:${n}`, id: null }, 9_000);
  }
  assert.equal(recalled("webhook", [signature(1)], 0), null, "the oldest went");
  assert.deepEqual(recalled("webhook", [signature(15)], 0), { key: "id:15", id: null });
});

Deno.test("ReplayMemory tells apart two signatures that share their first bytes, in either generation", () => {
  const memory = new ReplayMemory(4);
  const older = new Uint8Array(32).fill(7);
  const newer = older.slice();
  newer[31] = 8;
  const neither = older.slice();
  neither[31] = 9;
  memory.remember("webhook", tagged(older), { key: "id:old", id: "old" }, 9_000);
  memory.remember("webhook", tagged(new Uint8Array(32).fill(1)), { key: "id:x", id: "x" }, 9_000);
  // The generation holding `older` is now the old one; `newer` shares its filter bit in the young.
  memory.remember("webhook", tagged(newer), { key: "id:new", id: "new" }, 9_000);
  assert.equal(memory.recall("webhook", tagged(older), 0)?.key, "id:old");
  assert.equal(memory.recall("webhook", tagged(newer), 0)?.key, "id:new");
  assert.equal(memory.recall("webhook", tagged(neither), 0), null);
});

Deno.test("ReplayMemory recalls a delivery only under the id header it came with", () => {
  const memory = new ReplayMemory();
  const signature = new Uint8Array(32).fill(3);
  memory.remember("github", { signatures: [signature], headerId: "d-1" }, {
    key: "id:d-1",
    id: "d-1",
  }, 9_000);
  assert.equal(memory.recall("github", { signatures: [signature], headerId: "d-1" }, 0)?.id, "d-1");
  assert.equal(memory.recall("github", { signatures: [signature], headerId: "d-2" }, 0), null);
  assert.equal(memory.recall("github", { signatures: [signature], headerId: null }, 0), null);
});

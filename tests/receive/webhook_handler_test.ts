import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { importHmacKey, utf8 } from "../../lib/util/mod.ts";
import {
  type AcceptOutcome,
  type EventStore,
  type IncomingEvent,
  StoreFailedError,
} from "../../lib/store/mod.ts";
import { createWebhookHandler, type RequestRecord, type Route } from "../../lib/receive/mod.ts";
import { hookgateScheme } from "../../lib/schemes/mod.ts";

const SECRET = "handler-test-secret-0123456789";
const NOW_S = 1_700_000_000;

function sign(ts: string, body: string | Uint8Array, secret = SECRET): string {
  return createHmac("sha256", secret).update(`${ts}.`).update(body).digest("hex");
}

/** A store that records what reached it and answers like a set; `hold` delays the answer. */
function fakeStore(
  options: { hold?: Promise<void>; fail?: boolean; failedForGood?: boolean } = {},
) {
  const seen = new Set<string>();
  const accepted: IncomingEvent[] = [];
  const store: EventStore = {
    async accept(event) {
      accepted.push(event);
      await options.hold;
      if (options.fail) throw new Error("database unavailable");
      if (options.failedForGood) throw new StoreFailedError("an fdatasync failed (EIO)");
      const id = `${event.route}\0${event.key}`;
      const outcome: AcceptOutcome = seen.has(id) ? "duplicate" : "accepted";
      seen.add(id);
      return outcome;
    },
    consume: () => Promise.resolve(),
    lease: () => Promise.resolve(null),
    settle: () => Promise.resolve("lost"),
    list: () => Promise.resolve([]),
    get: () => Promise.resolve(null),
    redeliver: () => Promise.resolve("unknown" as const),
    close: () => Promise.resolve(),
  };
  return { store, accepted };
}

function setup(
  options: {
    hold?: Promise<void>;
    fail?: boolean;
    failedForGood?: boolean;
    maxBodyBytes?: number;
    readTimeoutMs?: number;
  } = {},
) {
  const route: Route = {
    path: "/webhook",
    name: "webhook",
    scheme: hookgateScheme,
    secretVar: "WEBHOOK_SECRET",
    keys: [{ key: importHmacKey(utf8(SECRET)), expiresAtMs: null }],
    toleranceSeconds: 300,
    retentionMs: 600_000,
  };
  const { store, accepted } = fakeStore(options);
  const records: RequestRecord[] = [];
  const storeFailures: string[] = [];
  const handler = createWebhookHandler({
    routes: [route],
    store,
    maxBodyBytes: options.maxBodyBytes ?? 1024,
    ...(options.readTimeoutMs ? { readTimeoutMs: options.readTimeoutMs } : {}),
    now: () => NOW_S * 1000,
    onRecord: (record) => records.push(record),
    onStoreFailed: (message) => storeFailures.push(message),
  });
  return { handler, accepted, records, storeFailures };
}

function signedPost(body: string, ts = String(NOW_S), signature = sign(ts, body)): Request {
  return new Request("http://127.0.0.1/webhook", {
    method: "POST",
    body,
    headers: { "x-timestamp": ts, "x-signature": signature, "content-type": "application/json" },
  });
}

async function answer(response: Response) {
  if (response.headers.get("connection") === "close") {
    // The connection is dropped after the answer's one chunk: read that chunk only.
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const { value } = await reader.read();
    await reader.cancel().catch(() => {});
    return { status: response.status, body: JSON.parse(new TextDecoder().decode(value)) };
  }
  return { status: response.status, body: await response.json() };
}

Deno.test("webhook handler accepts a signed event and stores its exact bytes", async () => {
  const { handler, accepted } = setup();
  const body = '{"id":"e42",  "event":"push"}';
  assert.deepEqual(await answer(await handler(signedPost(body))), {
    status: 200,
    body: { status: "accepted" },
  });
  assert.equal(accepted.length, 1);
  assert.deepEqual(accepted[0]?.payload, utf8(body));
  assert.equal(accepted[0]?.key, "id:e42");
  assert.equal(accepted[0]?.retentionMs, 600_000);
});

Deno.test("webhook handler answers a replay with duplicate-ignored", async () => {
  const { handler } = setup();
  await handler(signedPost('{"id":"e42"}'));
  assert.deepEqual(await answer(await handler(signedPost('{"id":"e42"}'))), {
    status: 200,
    body: { status: "duplicate-ignored" },
  });
});

Deno.test("webhook handler gate 1: a missing timestamp is 401 and nothing is stored", async () => {
  const { handler, accepted } = setup();
  const request = new Request("http://127.0.0.1/webhook", {
    method: "POST",
    body: "{}",
    headers: { "x-signature": sign(String(NOW_S), "{}") },
  });
  assert.deepEqual(await answer(await handler(request)), {
    status: 401,
    body: { error: "missing/invalid timestamp" },
  });
  assert.equal(accepted.length, 0);
});

Deno.test("webhook handler gate 1: a stale, validly signed request is 401 and not stored", async () => {
  const { handler, accepted } = setup();
  const ts = String(NOW_S - 301);
  assert.deepEqual(await answer(await handler(signedPost('{"id":"old"}', ts))), {
    status: 401,
    body: { error: "timestamp outside allowed window" },
  });
  assert.equal(accepted.length, 0);
});

Deno.test("webhook handler gate 1: exactly the tolerance is still fresh", async () => {
  const { handler } = setup();
  const response = await handler(signedPost('{"id":"edge"}', String(NOW_S - 300)));
  assert.equal(response.status, 200);
  await response.body?.cancel();
});

Deno.test("webhook handler gate 2: a forged signature is 401 and nothing is stored", async () => {
  const { handler, accepted } = setup();
  const body = '{"id":"e1"}';
  const forged = sign(String(NOW_S), body, "attacker-secret-0123456789");
  const response = await handler(signedPost(body, String(NOW_S), forged));
  assert.deepEqual(await answer(response), { status: 401, body: { error: "bad signature" } });
  assert.equal(accepted.length, 0);
});

Deno.test("webhook handler never echoes the expected signature", async () => {
  const { handler } = setup();
  const body = '{"id":"e1"}';
  const response = await handler(signedPost(body, String(NOW_S), "0".repeat(64)));
  const text = await response.text();
  assert.ok(!text.includes(sign(String(NOW_S), body)));
  assert.equal(text, '{"error":"bad signature"}');
});

Deno.test("webhook handler parses JSON only after the signature: unsigned junk is 401", async () => {
  const { handler } = setup();
  const response = await handler(signedPost("not json", String(NOW_S), "0".repeat(64)));
  assert.equal(response.status, 401);
  await response.body?.cancel();
});

Deno.test("webhook handler answers 400 for a signed body that is not a JSON object", async () => {
  const { handler, accepted } = setup();
  for (const body of ["[1]", '"s"', "1", "null", "not json", ""]) {
    const response = await handler(signedPost(body));
    assert.deepEqual(await answer(response), {
      status: 400,
      body: { error: "payload must be a JSON object" },
    }, body);
  }
  assert.equal(accepted.length, 0);
});

Deno.test("webhook handler says a signed form-encoded body needs the JSON content type, and stores nothing", async () => {
  const { handler, accepted } = setup();
  const body = "payload=%7B%22id%22%3A%22e1%22%7D";
  const ts = String(NOW_S);
  const response = await handler(
    new Request("http://127.0.0.1/webhook", {
      method: "POST",
      body,
      headers: {
        "x-timestamp": ts,
        "x-signature": sign(ts, body),
        "content-type": "application/x-www-form-urlencoded",
      },
    }),
  );
  const { status, body: answered } = await answer(response);
  assert.equal(status, 400);
  assert.match(answered.error, /form-encoded; set the webhook's content type to application\/json/);
  assert.equal(accepted.length, 0);
});

Deno.test("webhook handler answers 400 for a bad id and stores nothing", async () => {
  const { handler, accepted } = setup();
  const response = await handler(signedPost('{"id":{"a":1}}'));
  assert.equal(response.status, 400);
  await response.body?.cancel();
  assert.equal(accepted.length, 0);
});

Deno.test("webhook handler answers 413 past the body cap and stores nothing", async () => {
  const { handler, accepted } = setup({ maxBodyBytes: 16 });
  const body = '{"id":"e1","pad":"xxxxxxxxxxxxxxxx"}';
  const response = await handler(signedPost(body));
  assert.equal(response.headers.get("connection"), "close");
  assert.deepEqual(await answer(response), {
    status: 413,
    body: { error: "payload too large" },
  });
  assert.equal(accepted.length, 0);
});

Deno.test("webhook handler answers 405 with Allow: POST for GET /webhook", async () => {
  const { handler } = setup();
  const response = await handler(new Request("http://127.0.0.1/webhook"));
  assert.equal(response.status, 405);
  assert.equal(response.headers.get("allow"), "POST");
  await response.body?.cancel();
});

Deno.test("webhook handler answers 404 for an unknown path", async () => {
  const { handler } = setup();
  const response = await handler(new Request("http://127.0.0.1/other", { method: "POST" }));
  assert.deepEqual(await answer(response), { status: 404, body: { error: "not found" } });
});

Deno.test("webhook handler answers GET /healthz", async () => {
  const { handler } = setup();
  const response = await handler(new Request("http://127.0.0.1/healthz"));
  assert.deepEqual(await answer(response), { status: 200, body: { status: "ok" } });
});

Deno.test("webhook handler answers 503, never 200, when the store fails", async () => {
  const { handler } = setup({ fail: true });
  const response = await handler(signedPost('{"id":"e1"}'));
  assert.equal(response.status, 503);
  assert.match((await response.json()).error, /store unavailable/);
});

Deno.test("webhook handler does not answer before the store's commit resolved", async () => {
  let release = () => {};
  const hold = new Promise<void>((resolve) => release = resolve);
  const { handler, accepted } = setup({ hold });
  let answered = false;
  const pending = handler(signedPost('{"id":"held"}')).then((r) => {
    answered = true;
    return r;
  });
  while (accepted.length === 0) await new Promise((r) => setTimeout(r, 1));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(answered, false);
  release();
  assert.deepEqual(await answer(await pending), { status: 200, body: { status: "accepted" } });
});

Deno.test("webhook handler reports one trace record per request, without the payload", async () => {
  const { handler, records } = setup();
  const response = await handler(signedPost('{"id":"e9","token":"abc"}'));
  await response.body?.cancel();
  assert.equal(records.length, 1);
  assert.equal(records[0]?.status, 200);
  assert.equal(records[0]?.outcome, "accepted");
  assert.equal(records[0]?.key, "id:e9");
  assert.ok(!JSON.stringify(records).includes("abc"));
});

Deno.test("webhook handler puts the peer's address in the trace record", async () => {
  const { handler, records } = setup();
  const response = await handler(signedPost('{"id":"e10"}'), "203.0.113.7");
  await response.body?.cancel();
  assert.equal(records[0]?.remoteAddress, "203.0.113.7");
});

Deno.test("webhook handler answers 408 to a body that stalls, and stores nothing", async () => {
  const { handler, accepted } = setup({ readTimeoutMs: 20 });
  const request = new Request("http://127.0.0.1/webhook", {
    method: "POST",
    body: new ReadableStream({ pull: () => new Promise(() => {}) }),
    headers: { "x-timestamp": String(NOW_S), "x-signature": "0".repeat(64) },
  });
  assert.deepEqual(await answer(await handler(request)), {
    status: 408,
    body: { error: "request body timed out" },
  });
  assert.equal(accepted.length, 0);
});

Deno.test("webhook handler finds the route past a query string and through dot segments", async () => {
  const { handler, accepted, records } = setup();
  const body = '{"id":"e7"}';
  const at = (url: string, id: string) => {
    const payload = body.replace("e7", id);
    return new Request(url, {
      method: "POST",
      body: payload,
      headers: { "x-timestamp": String(NOW_S), "x-signature": sign(String(NOW_S), payload) },
    });
  };
  assert.equal((await handler(at("http://127.0.0.1/webhook?x=1", "q1"))).status, 200);
  assert.equal((await handler(at("http://127.0.0.1/a/../webhook", "d1"))).status, 200);
  assert.equal((await handler(at("http://127.0.0.1/%77ebhook", "p1"))).status, 404);
  assert.equal((await handler(at("http://127.0.0.1/webhooks", "n1"))).status, 404);
  assert.deepEqual(accepted.map((e) => e.key), ["id:q1", "id:d1"]);
  assert.deepEqual(records.map((r) => r.path), ["/webhook", "/webhook", "/%77ebhook", "/webhooks"]);
});

Deno.test("webhook handler: a store failed for good answers 503, says why once, and /healthz turns 503", async () => {
  const healthz = () => new Request("http://127.0.0.1/healthz");
  const passing = setup({ fail: true });
  assert.equal((await answer(await passing.handler(signedPost('{"id":"a"}')))).status, 503);
  assert.equal((await answer(await passing.handler(healthz()))).status, 200, "a passing outage");
  assert.deepEqual(passing.storeFailures, []);
  const { handler, storeFailures } = setup({ failedForGood: true });
  for (const id of ["a", "b"]) {
    assert.equal((await answer(await handler(signedPost(`{"id":"${id}"}`)))).status, 503);
  }
  assert.deepEqual(storeFailures, ["an fdatasync failed (EIO)"]);
  const health = await answer(await handler(healthz()));
  assert.equal(health.status, 503);
  assert.match(health.body.status, /store failed/);
});

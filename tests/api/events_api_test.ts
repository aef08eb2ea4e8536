import assert from "node:assert/strict";
import { type ApiRecord, createEventsApi, issueToken, type TokenScope } from "../../lib/api/mod.ts";
import type { StoredEvent } from "../../lib/store/mod.ts";
import { importHmacKey } from "../../lib/util/mod.ts";
import { createRedactor } from "../../lib/redact/mod.ts";
import { MemoryEventStore } from "../support/memory_event_store.ts";

const NOW_MS = Date.UTC(2026, 10, 30, 12, 0, 0);
const WEBHOOK_SECRET = "webhook-secret-in-a-payload-" + crypto.randomUUID();
const tokenKey = importHmacKey(new TextEncoder().encode("events-api-token-key-0123456789"));
const encoder = new TextEncoder();

function stored(key: string, status: StoredEvent["status"], payload: string): StoredEvent {
  return {
    route: "webhook",
    key,
    id: key.replace(/^id:/, ""),
    payload: encoder.encode(payload),
    receivedAtMs: NOW_MS - 60_000,
    attempt: status === "pending" ? 0 : 5,
    status,
    lastError: status === "dead" ? "exit code 3" : null,
  };
}

interface Fixture {
  store: MemoryEventStore;
  revoked: Set<string>;
  clock: { nowMs: number };
  api: (request: Request) => Promise<Response | null>;
  records: ApiRecord[];
}

function fixture(): Fixture {
  const store = new MemoryEventStore();
  store.put(stored(
    "id:evt-1",
    "pending",
    JSON.stringify({
      id: "evt-1",
      api_key: "plain-looking-value",
      note: `the secret is ${WEBHOOK_SECRET}`,
      header: "Authorization: Bearer abcdefgh12345678",
    }),
  ));
  store.put(stored("id:evt-2", "dead", '{"id":"evt-2"}'));
  store.put(stored("id:evt-3", "done", '{"id":"evt-3"}'));
  store.put(stored("id:a/b:c", "pending", `not json, token=abcdef123456 ${WEBHOOK_SECRET}`));
  const revoked = new Set<string>();
  const clock = { nowMs: NOW_MS };
  const records: ApiRecord[] = [];
  const api = createEventsApi({
    store,
    tokenKey,
    revocations: { isRevoked: (id) => Promise.resolve(revoked.has(id)) },
    redactor: createRedactor({ secrets: [WEBHOOK_SECRET] }),
    now: () => clock.nowMs,
    onRecord: (record) => records.push(record),
  });
  return { store, revoked, clock, api, records };
}

let counter = 0;
function token(
  scope: TokenScope,
  ttlMs = 15 * 60_000,
): { token: string; id: string } {
  const id = (++counter).toString(16).padStart(32, "0");
  const issued = issueToken({ scope, ttlMs, nowMs: NOW_MS, tokenId: id }, tokenKey);
  assert.ok(issued.ok);
  return { token: issued.value.token, id };
}

async function call(
  f: Fixture,
  method: string,
  path: string,
  bearer: string | null,
): Promise<Response> {
  const url = new URL(path, "http://127.0.0.1:8000");
  const headers: Record<string, string> = bearer === null ? {} : { authorization: bearer };
  const response = await f.api(new Request(url, { method, headers }));
  assert.ok(response !== null, `${path} was not handled`);
  return response;
}

/** An Authorization header value carrying a fresh token of `scope`. */
function bearer(scope: TokenScope): string {
  return `Bearer ${token(scope).token}`;
}

/** The status of the API's answer; its body is discarded. */
async function statusOf(
  f: Fixture,
  method: string,
  path: string,
  authorization: string | null,
): Promise<number> {
  const response = await call(f, method, path, authorization);
  await response.body?.cancel();
  return response.status;
}

const ROUTES = [
  { name: "list", method: "GET", path: "/events?status=pending", read: 200, write: 200 },
  { name: "get", method: "GET", path: "/events/webhook/id%3Aevt-1", read: 200, write: 200 },
  {
    name: "redeliver",
    method: "POST",
    path: "/events/webhook/id%3Aevt-2/redeliver",
    read: 403,
    write: 202,
  },
] as const;

for (const route of ROUTES) {
  for (const scope of ["read", "write"] as const) {
    Deno.test(`createEventsApi() answers ${route.name} with a ${scope} token: ${route[scope]}`, async () => {
      const f = fixture();
      assert.equal(await statusOf(f, route.method, route.path, bearer(scope)), route[scope]);
    });
  }
  Deno.test(`createEventsApi() answers ${route.name} without a token: 401 with WWW-Authenticate`, async () => {
    const f = fixture();
    const response = await call(f, route.method, route.path, null);
    assert.equal(response.status, 401);
    assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="hookgate"');
    await response.body?.cancel();
  });
}

Deno.test("createEventsApi() refuses a read token on redeliver with insufficient_scope and leaves the dead letter dead", async () => {
  const f = fixture();
  const response = await call(
    f,
    "POST",
    "/events/webhook/id%3Aevt-2/redeliver",
    bearer("read"),
  );
  assert.equal(response.status, 403);
  assert.match(response.headers.get("www-authenticate") ?? "", /error="insufficient_scope"/);
  await response.body?.cancel();
  assert.equal((await f.store.get("webhook", "id:evt-2"))?.status, "dead");
});

Deno.test("createEventsApi() redeliver with a write token revives a dead letter", async () => {
  const f = fixture();
  const response = await call(
    f,
    "POST",
    "/events/webhook/id%3Aevt-2/redeliver",
    bearer("write"),
  );
  assert.deepEqual(await response.json(), { status: "pending", route: "webhook", key: "id:evt-2" });
  const event = await f.store.get("webhook", "id:evt-2");
  assert.equal(event?.status, "pending");
  assert.equal(event?.attempt, 0);
});

Deno.test("createEventsApi() refuses to redeliver a pending event with 409, and no consumer gets it twice", async () => {
  const f = fixture();
  const lease = await f.store.lease({ leaseMs: 30_000, waitMs: 0 });
  assert.ok(lease);
  const path = `/events/webhook/${encodeURIComponent(lease.event.key)}/redeliver`;
  const response = await call(f, "POST", path, bearer("write"));
  assert.equal(response.status, 409);
  assert.match((await response.json()).error, /pending/);
  assert.equal((await f.store.get("webhook", lease.event.key))?.attempt, lease.event.attempt);
  // The fixture holds two pending events: a second consumer gets the other one, and then none.
  const second = await f.store.lease({ leaseMs: 30_000, waitMs: 0 });
  assert.ok(second !== null, "the other pending event is handed out");
  assert.notEqual(second.event.key, lease.event.key, "handed out twice at once");
  assert.deepEqual([lease.event.key, second.event.key].sort(), ["id:a/b:c", "id:evt-1"]);
  assert.equal(await f.store.lease({ leaseMs: 30_000, waitMs: 0 }), null, "handed out again");
});

Deno.test("createEventsApi() answers 401 invalid_token for malformed, tampered and expired tokens, and never echoes them", async () => {
  const f = fixture();
  const good = token("write", 60_000).token;
  const tampered = good.slice(0, -2) + (good.at(-2) === "A" ? "B" : "A") + good.at(-1);
  const cases: [string, string, number][] = [
    [`Bearer not-a-token`, "malformed", NOW_MS],
    [`Bearer ${tampered}`, "not valid", NOW_MS],
    [`Bearer ${good}`, "expired", NOW_MS + 60_000],
  ];
  for (const [header, words, nowMs] of cases) {
    f.clock.nowMs = nowMs;
    const response = await call(f, "GET", "/events", header);
    const text = await response.text();
    const challenge = response.headers.get("www-authenticate") ?? "";
    assert.equal(response.status, 401, header);
    assert.match(challenge, /^Bearer realm="hookgate", error="invalid_token"/);
    assert.match(text, new RegExp(words));
    const token = header.slice("Bearer ".length);
    assert.equal(text.includes(token), false, "the token was echoed in the body");
    assert.equal(challenge.includes(token), false, "the token was echoed in a header");
  }
});

Deno.test("createEventsApi() refuses a token once its id is revoked", async () => {
  const f = fixture();
  const { token: bearer, id } = token("read");
  assert.equal(await statusOf(f, "GET", "/events", `Bearer ${bearer}`), 200);
  f.revoked.add(id);
  const after = await call(f, "GET", "/events", `Bearer ${bearer}`);
  assert.equal(after.status, 401);
  assert.match(await after.text(), /revoked/);
});

Deno.test("createEventsApi() checks the token before the path: an unknown /events path without one is 401", async () => {
  const f = fixture();
  assert.equal(await statusOf(f, "GET", "/events/only-one-segment", null), 401);
  assert.equal(await statusOf(f, "GET", "/events/only-one-segment", bearer("read")), 404);
});

Deno.test("createEventsApi() returns a JSON payload redacted as a tree (secret keys, secret values, shapes)", async () => {
  const f = fixture();
  const response = await call(f, "GET", "/events/webhook/id%3Aevt-1", bearer("read"));
  const text = await response.text();
  const body = JSON.parse(text);
  assert.equal(body.key, "id:evt-1");
  assert.equal(body.payload.id, "evt-1");
  assert.equal(body.payload.api_key, "***redacted***");
  assert.equal(text.includes("plain-looking-value"), false);
  assert.equal(text.includes(WEBHOOK_SECRET), false);
  assert.equal(text.includes("abcdefgh12345678"), false);
  assert.equal(response.headers.get("cache-control"), "no-store");
});

Deno.test("createEventsApi() returns a non-JSON payload as redacted text, for a key with ':' and '/'", async () => {
  const f = fixture();
  const path = `/events/webhook/${encodeURIComponent("id:a/b:c")}`;
  const response = await call(f, "GET", path, bearer("read"));
  const body = await response.json();
  assert.equal(body.key, "id:a/b:c");
  assert.equal(typeof body.payload, "string");
  assert.equal(body.payload.includes(WEBHOOK_SECRET), false);
  assert.equal(body.payload.includes("abcdef123456"), false);
  assert.match(body.payload, /^not json/);
});

Deno.test("createEventsApi() lists events of one status, up to the limit, without payloads", async () => {
  const f = fixture();
  const read = bearer("read");
  const pending = await (await call(f, "GET", "/events?status=pending&limit=1", read)).json();
  assert.equal(pending.count, 1);
  assert.equal(pending.events[0].status, "pending");
  assert.equal("payload" in pending.events[0], false);
  const dead = await (await call(f, "GET", "/events?status=dead", read)).json();
  assert.deepEqual(dead.events.map((e: { key: string }) => e.key), ["id:evt-2"]);
  assert.equal(dead.events[0].lastError, "exit code 3");
  assert.equal(dead.events[0].href, "/events/webhook/id%3Aevt-2");
});

Deno.test("createEventsApi() shows when an event changed and is next due, where the store records it", async () => {
  const f = fixture();
  const timed = { ...stored("id:evt-9", "pending", '{"id":"evt-9"}'), updatedAtMs: NOW_MS - 1_000 };
  f.store.put(Object.assign(timed, { nextAttemptAtMs: NOW_MS + 4_000 }));
  const read = bearer("read");
  const event = await (await call(f, "GET", "/events/webhook/id%3Aevt-9", read)).json();
  assert.equal(event.updatedAt, new Date(NOW_MS - 1_000).toISOString());
  assert.equal(event.nextAttemptAt, new Date(NOW_MS + 4_000).toISOString());
  const plain = await (await call(f, "GET", "/events/webhook/id%3Aevt-2", read)).json();
  assert.equal("updatedAt" in plain, false);
  assert.equal("nextAttemptAt" in plain, false);
});

Deno.test("createEventsApi() answers 400 for an unknown status or a bad limit", async () => {
  const f = fixture();
  const read = bearer("read");
  for (const query of ["status=gone", "limit=0", "limit=abc", "limit=100000", "limit=-1"]) {
    assert.equal(await statusOf(f, "GET", `/events?${query}`, read), 400, query);
  }
});

Deno.test("createEventsApi() answers 404 for an unknown event and 405 for a wrong method", async () => {
  const f = fixture();
  const write = bearer("write");
  assert.equal(await statusOf(f, "GET", "/events/webhook/id%3Anope", write), 404);
  assert.equal(await statusOf(f, "POST", "/events/webhook/id%3Anope/redeliver", write), 404);
  const wrong = await call(f, "DELETE", "/events/webhook/id%3Aevt-1", write);
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get("allow"), "GET");
  await wrong.body?.cancel();
});

Deno.test("createEventsApi() answers 404 for /events/stream when no stream is given", async () => {
  const f = fixture();
  assert.equal(await statusOf(f, "GET", "/events/stream", bearer("read")), 404);
});

Deno.test("createEventsApi() leaves paths outside /events to the webhook routes", async () => {
  const f = fixture();
  for (const path of ["/webhook", "/eventsx", "/healthz", "/events/../webhook"]) {
    const url = new URL(path, "http://127.0.0.1:8000");
    assert.equal(await f.api(new Request(url, { method: "POST" })), null);
  }
});

Deno.test("createEventsApi() records who did what by token id, never the token itself", async () => {
  const f = fixture();
  const { token: bearer, id } = token("write");
  await statusOf(f, "POST", "/events/webhook/id%3Aevt-2/redeliver", `Bearer ${bearer}`);
  await statusOf(f, "GET", "/events", `Bearer ${bearer}x`);
  assert.deepEqual(f.records, [
    {
      type: "api",
      method: "POST",
      path: "/events/webhook/id%3Aevt-2/redeliver",
      status: 202,
      tokenId: id,
      scope: "write",
      refused: null,
    },
    {
      type: "api",
      method: "GET",
      path: "/events",
      status: 401,
      tokenId: null,
      scope: null,
      refused: "malformed",
    },
  ]);
  assert.equal(JSON.stringify(f.records).includes(bearer.split(".")[1] as string), false);
});

Deno.test("createEventsApi() answers 503 when the store fails, without its error text", async () => {
  const store = new MemoryEventStore();
  store.get = () => Promise.reject(new Error("disk /secret/path on fire"));
  const api = createEventsApi({
    store,
    tokenKey,
    revocations: { isRevoked: () => Promise.resolve(false) },
    redactor: createRedactor(),
    now: () => NOW_MS,
  });
  const url = new URL("http://127.0.0.1/events/webhook/id%3Ax");
  const headers = { authorization: bearer("read") };
  const response = await api(new Request(url, { headers }));
  assert.equal(response?.status, 503);
  assert.equal((await response?.text())?.includes("/secret/path"), false);
});

Deno.test("createEventsApi() refuses with 503 when the revocation list cannot be read, never lets the token through", async () => {
  const store = new MemoryEventStore();
  store.put(stored("id:evt-9", "dead", '{"id":"evt-9"}'));
  const records: ApiRecord[] = [];
  const api = createEventsApi({
    store,
    tokenKey,
    revocations: { isRevoked: () => Promise.reject(new Error("redis 10.0.0.5:6379 is down")) },
    redactor: createRedactor(),
    now: () => NOW_MS,
    onRecord: (record) => records.push(record),
  });
  for (
    const [method, path] of [["GET", "/events?status=dead"], [
      "POST",
      "/events/webhook/id%3Aevt-9/redeliver",
    ]]
  ) {
    const url = new URL(path as string, "http://127.0.0.1");
    const headers = { authorization: bearer("write") };
    const response = await api(new Request(url, { method: method as string, headers }));
    assert.equal(response?.status, 503);
    const text = (await response?.text()) ?? "";
    assert.equal(text.includes("10.0.0.5"), false, "the store's error text reached the caller");
    assert.equal(text.includes("evt-9"), false, "the refused request was answered with events");
  }
  assert.equal((await store.get("webhook", "id:evt-9"))?.status, "dead", "the redeliver ran");
  // The operator's record says why: the token was neither let through nor called bad.
  assert.deepEqual(records.map((r) => [r.status, r.tokenId, r.refused]), [
    [503, null, "revocation_unchecked"],
    [503, null, "revocation_unchecked"],
  ]);
});

Deno.test("GET /events lists summaries without reading payloads, each with its payload's size", async () => {
  const f = fixture();
  const listed: unknown[] = [];
  const list = f.store.list.bind(f.store);
  f.store.list = (options) => {
    listed.push(options.withoutPayloads);
    return list(options);
  };
  const response = await call(f, "GET", "/events?status=dead", bearer("read"));
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.deepEqual(listed, [true]);
  assert.deepEqual(
    body.events.map((
      event: { key: string; payloadBytes: number },
    ) => [event.key, event.payloadBytes]),
    [["id:evt-2", '{"id":"evt-2"}'.length]],
  );
});

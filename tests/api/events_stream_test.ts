import assert from "node:assert/strict";
import { createEventsApi, createEventsStream, EventRefs, issueToken } from "../../lib/api/mod.ts";
import type { StoredEvent } from "../../lib/store/mod.ts";
import { importHmacKey } from "../../lib/util/mod.ts";
import { createRedactor } from "../../lib/redact/mod.ts";
import { MemoryEventStore } from "../support/memory_event_store.ts";

const SECRET = "stream-test-secret-" + crypto.randomUUID();
const tokenKey = importHmacKey(
  new TextEncoder().encode("events-stream-token-key-0123456789"),
);
const WAIT_MS = 5_000;

function stored(id: string, status: StoredEvent["status"], lastError: string | null = null) {
  return {
    route: "webhook",
    key: `id:${id}`,
    id,
    payload: new TextEncoder().encode(JSON.stringify({ id, note: SECRET })),
    receivedAtMs: Date.now(),
    attempt: status === "pending" ? 0 : 1,
    status,
    lastError,
  } satisfies StoredEvent;
}

let counter = 0;
function bearer(ttlMs = 60_000, scope: "read" | "write" = "read") {
  const tokenId = (++counter).toString(16).padStart(32, "0");
  const issued = issueToken({ scope, ttlMs, nowMs: Date.now(), tokenId }, tokenKey);
  assert.ok(issued.ok);
  return { header: `Bearer ${issued.value.token}`, tokenId };
}

function fixture(options: { maxClients?: number; heartbeatMs?: number } = {}) {
  const store = new MemoryEventStore();
  const revoked = new Set<string>();
  /** Set: every revocation check fails (the shared store is down). */
  const unreadable = { now: false };
  const redactor = createRedactor({ secrets: [SECRET] });
  const isRevoked = (id: string) =>
    unreadable.now
      ? Promise.reject(new Error("redis 10.0.0.5:6379 is down"))
      : Promise.resolve(revoked.has(id));
  const refs = new EventRefs();
  const stream = createEventsStream({
    store,
    redactor,
    refs,
    now: Date.now,
    isRevoked,
    pollMs: 20,
    heartbeatMs: options.heartbeatMs ?? 50,
    ...(options.maxClients === undefined ? {} : { maxClients: options.maxClients }),
  });
  const api = createEventsApi({
    store,
    tokenKey,
    revocations: { isRevoked },
    redactor,
    refs,
    now: Date.now,
    stream: (request, token) => stream.open(request, token),
  });
  const open = async (authorization: string | null) => {
    const headers: Record<string, string> = authorization === null ? {} : { authorization };
    const response = await api(new Request("http://127.0.0.1/events/stream", { headers }));
    assert.ok(response !== null);
    return response;
  };
  return { store, revoked, unreadable, stream, open, [Symbol.dispose]: () => stream.close() };
}

interface Message {
  event: string;
  data: string;
}

/** Reads server-sent messages until `until` accepts one; a deadline bounds the wait. */
async function readUntil(
  response: Response,
  until: (message: Message) => boolean,
): Promise<Message[]> {
  assert.ok(response.body);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const messages: Message[] = [];
  let buffer = "";
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    reader.cancel("deadline");
  }, WAIT_MS);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        throw new Error(
          timedOut
            ? `no awaited message within ${WAIT_MS} ms; got ${JSON.stringify(messages)}`
            : `the stream ended after ${JSON.stringify(messages)}`,
        );
      }
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1] ?? "";
        if (event === undefined) continue;
        messages.push({ event, data });
        if (until({ event, data })) return messages;
      }
    }
  } finally {
    clearTimeout(deadline);
    reader.releaseLock();
  }
}

Deno.test("GET /events/stream without a token is 401 and opens no stream", async () => {
  using f = fixture();
  const response = await f.open(null);
  assert.equal(response.status, 401);
  assert.equal(response.headers.get("content-type"), "application/json");
  await response.body?.cancel();
});

Deno.test("GET /events/stream sends ready, then each new or changed event, redacted, without its payload", async () => {
  using f = fixture();
  f.store.put(stored("old-1", "done"));
  const response = await f.open(bearer().header);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/event-stream");
  await readUntil(response.clone(), (message) => message.event === "ready");
  f.store.put(stored("new-1", "dead", `agent failed, secret ${SECRET}`));
  const messages = await readUntil(response, (message) => message.event === "changes");
  const changes = messages.filter((message) => message.event === "changes");
  assert.equal(changes.length, 1, "an event that did not change was sent again");
  const body = changes[0]?.data ?? "";
  assert.equal(body.includes(SECRET), false, "the secret left through the stream");
  const events = JSON.parse(body).events;
  assert.deepEqual(events.map((event: { key: string }) => event.key), ["id:new-1"]);
  assert.equal(events[0].status, "dead");
  assert.equal("payload" in events[0], false);
});

Deno.test("GET /events/stream ends with 'closing' once its token expires", async () => {
  using f = fixture();
  const response = await f.open(bearer(1_200).header);
  const messages = await readUntil(response, (message) => message.event === "closing");
  assert.deepEqual(JSON.parse(messages.at(-1)?.data ?? ""), { reason: "expired" });
});

// With a heartbeat far beyond the test's deadline, only the check at each look can end it.
for (const heartbeatMs of [50, 600_000]) {
  Deno.test(`GET /events/stream ends with 'closing' once its token is revoked (heartbeat ${heartbeatMs} ms)`, async () => {
    using f = fixture({ heartbeatMs });
    const token = bearer();
    const response = await f.open(token.header);
    await readUntil(response.clone(), (message) => message.event === "ready");
    f.revoked.add(token.tokenId);
    const messages = await readUntil(response, (message) => message.event === "closing");
    assert.deepEqual(JSON.parse(messages.at(-1)?.data ?? ""), { reason: "revoked" });
  });
}

Deno.test("GET /events/stream ends with 'closing' (unchecked) once its token cannot be checked, never stays open", async () => {
  using f = fixture();
  const token = bearer();
  const response = await f.open(token.header);
  await readUntil(response.clone(), (message) => message.event === "ready");
  f.unreadable.now = true;
  const messages = await readUntil(response, (message) => message.event === "closing");
  assert.deepEqual(JSON.parse(messages.at(-1)?.data ?? ""), { reason: "unchecked" });
  assert.equal(JSON.stringify(messages).includes("10.0.0.5"), false);
  // And a new stream is refused while the check fails.
  const again = await f.open(token.header);
  assert.equal(again.status, 503);
  await again.body?.cancel();
});

Deno.test("close() ends every open stream, so serve can stop", async () => {
  const f = fixture();
  const response = await f.open(bearer().header);
  await readUntil(response.clone(), (message) => message.event === "ready");
  f.stream.close();
  const messages = await readUntil(response, (message) => message.event === "closing");
  assert.deepEqual(JSON.parse(messages.at(-1)?.data ?? ""), { reason: "shutdown" });
});

Deno.test("GET /events/stream answers 503 past the limit of open streams", async () => {
  using f = fixture({ maxClients: 1 });
  const first = await f.open(bearer().header);
  assert.equal(first.status, 200);
  const second = await f.open(bearer().header);
  assert.equal(second.status, 503);
  await second.body?.cancel();
  await first.body?.cancel();
});

Deno.test("GET /events/stream sends an event again when its status changes", async () => {
  using f = fixture();
  f.store.put(stored("dead-1", "dead", "exit code 3"));
  const response = await f.open(bearer().header);
  await readUntil(response.clone(), (message) => message.event === "ready");
  assert.equal(await f.store.redeliver("webhook", "id:dead-1"), "redelivered");
  const messages = await readUntil(response, (message) => message.event === "changes");
  const events = JSON.parse(messages.at(-1)?.data ?? "").events;
  assert.deepEqual(
    events.map((event: { key: string; status: string }) => `${event.key} ${event.status}`),
    ["id:dead-1 pending"],
  );
});

Deno.test("GET /events/stream sends a redelivered event that failed again between two looks", async () => {
  using f = fixture();
  const before = { ...stored("dead-1", "dead", "exit code 3"), updatedAtMs: Date.now() - 60_000 };
  f.store.put(before);
  const response = await f.open(bearer().header);
  await readUntil(response.clone(), (message) => message.event === "ready");
  // Sent back to pending and dead again before the next look: status, attempt and error are
  // as they were; only when it last changed tells. A page that showed it pending learns the end.
  f.store.put({ ...before, updatedAtMs: Date.now() });
  const messages = await readUntil(response, (message) => message.event === "changes");
  const events = JSON.parse(messages.at(-1)?.data ?? "").events;
  assert.deepEqual(
    events.map((event: { key: string; status: string }) => `${event.key} ${event.status}`),
    ["id:dead-1 dead"],
  );
});

Deno.test("GET /events/stream ends a revoked token's stream even while changes keep it busy", async () => {
  using f = fixture();
  const token = bearer();
  const response = await f.open(token.header);
  await readUntil(response.clone(), (message) => message.event === "ready");
  // A sender who keeps events arriving keeps the stream from ever idling until a heartbeat.
  let n = 0;
  const churn = setInterval(() => f.store.put(stored(`busy-${++n}`, "pending")), 5);
  try {
    f.revoked.add(token.tokenId);
    const messages = await readUntil(response, (message) => message.event === "closing");
    assert.deepEqual(JSON.parse(messages.at(-1)?.data ?? ""), { reason: "revoked" });
  } finally {
    clearInterval(churn);
  }
});

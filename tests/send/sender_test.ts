import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { importHmacKey } from "../../lib/util/mod.ts";
import { type AttemptReport, type SendOptions, sendWebhook } from "../../lib/send/mod.ts";
import {
  closedPort,
  type RecordedRequest,
  startRecordingServer,
  startSilentServer,
} from "../support/recording_server.ts";

const SECRET = "sender-test-secret-0123456789";
const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** What an independent receiver computes: node:crypto, not lib code. */
function independentlyValid(request: RecordedRequest): boolean {
  const ts = request.headers.get("x-timestamp") ?? "";
  const expected = createHmac("sha256", SECRET).update(`${ts}.`).update(request.body).digest(
    "hex",
  );
  return request.headers.get("x-signature") === expected;
}

/** A clock that only moves when the sender sleeps, so no test waits for real. */
function fakeTime(startMs = 1_700_000_000_000) {
  let now = startMs;
  const sleeps: number[] = [];
  return {
    sleeps,
    nowMs: () => now,
    sleep: (ms: number) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

function options(time = fakeTime(), extra: Partial<SendOptions> = {}): SendOptions {
  const key = importHmacKey(encode(SECRET));
  return {
    keys: [key],
    nowMs: time.nowMs,
    sleep: time.sleep,
    random: () => 0.75,
    ...extra,
  };
}

const status = (code: number, body = "", headers: Record<string, string> = {}) =>
  new Response(body === "" ? null : body, { status: code, headers });

Deno.test("sendWebhook() retries 503 twice then delivers, same id, fresh valid signatures", async () => {
  const accepted: string[] = [];
  await using server = startRecordingServer((request, index) => {
    if (index < 2) return status(503, "busy");
    accepted.push(JSON.parse(decode(request.body)).id);
    return Response.json({ status: "accepted" });
  });
  const time = fakeTime(1_700_000_000_500);
  const result = await sendWebhook(
    server.url,
    encode('{"event":"push"}'),
    options(time),
  );
  assert.equal(result.ok, true);
  assert.equal(server.requests.length, 3);
  const ids = server.requests.map((r) => JSON.parse(decode(r.body)).id);
  assert.equal(new Set(ids).size, 1);
  assert.match(ids[0], /^evt_[a-z2-7]{24}$/);
  const timestamps = server.requests.map((r) => r.headers.get("x-timestamp"));
  assert.equal(new Set(timestamps).size, 3);
  for (const request of server.requests) assert.equal(independentlyValid(request), true);
  assert.deepEqual(accepted, [ids[0]]);
  assert.deepEqual(result.ok && result.value, {
    status: 200,
    body: '{"status":"accepted"}',
    attempts: 3,
    id: ids[0],
    idAdded: true,
    payload: server.requests[0]?.body,
  });
});

Deno.test("sendWebhook() honours Retry-After seconds through the injected sleep", async () => {
  await using server = startRecordingServer((_request, index) =>
    index === 0 ? status(503, "", { "retry-after": "2" }) : status(200, "ok")
  );
  const time = fakeTime();
  const result = await sendWebhook(server.url, encode('{"id":"e1"}'), options(time));
  assert.equal(result.ok, true);
  assert.deepEqual(time.sleeps, [2000]);
});

Deno.test("sendWebhook() honours a Retry-After HTTP date", async () => {
  const start = 1_700_000_000_000;
  await using server = startRecordingServer((_request, index) =>
    index === 0
      ? status(429, "", { "retry-after": new Date(start + 3000).toUTCString() })
      : status(200, "ok")
  );
  const time = fakeTime(start);
  await sendWebhook(server.url, encode('{"id":"e1"}'), options(time));
  assert.deepEqual(time.sleeps, [3000]);
});

for (const code of [400, 401]) {
  Deno.test(`sendWebhook() does not retry after ${code}`, async () => {
    await using server = startRecordingServer(() => status(code, "bad signature"));
    const time = fakeTime();
    const result = await sendWebhook(server.url, encode('{"id":"e1"}'), options(time));
    assert.equal(server.requests.length, 1);
    assert.deepEqual(time.sleeps, []);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.reason.kind === "status" && result.reason.why, "rejected");
  });
}

Deno.test("sendWebhook() does not follow a 302: the Location target receives nothing", async () => {
  await using target = startRecordingServer(() => status(200, "stolen"));
  await using redirector = startRecordingServer(() =>
    new Response(null, { status: 302, headers: { location: target.url } })
  );
  const time = fakeTime();
  const result = await sendWebhook(redirector.url, encode('{"id":"e1"}'), options(time));
  assert.equal(target.requests.length, 0);
  assert.equal(redirector.requests.length, 1);
  assert.deepEqual(time.sleeps, []);
  assert.equal(result.ok, false);
  if (result.ok || result.reason.kind !== "status") throw new Error("expected a status failure");
  assert.equal(result.reason.status, 302);
  assert.equal(result.reason.why, "redirect");
  assert.equal(result.reason.location, target.url);
});

Deno.test("sendWebhook() stops at once on 410", async () => {
  await using server = startRecordingServer(() => status(410, "gone"));
  const time = fakeTime();
  const result = await sendWebhook(server.url, encode('{"id":"e1"}'), options(time));
  assert.equal(server.requests.length, 1);
  assert.deepEqual(time.sleeps, []);
  assert.equal(!result.ok && result.reason.kind === "status" && result.reason.why, "gone");
});

Deno.test("sendWebhook() gives up after the configured retries with the last status", async () => {
  await using server = startRecordingServer(() => status(503, "still busy"));
  const time = fakeTime();
  const result = await sendWebhook(
    server.url,
    encode('{"id":"e1"}'),
    options(time, { retries: 2 }),
  );
  assert.equal(server.requests.length, 3);
  assert.deepEqual(time.sleeps, [750, 1500]);
  assert.deepEqual(!result.ok && result.reason, {
    kind: "status",
    status: 503,
    body: "still busy",
    location: null,
    why: "attempts-exhausted",
    attempts: 3,
    id: "e1",
  });
});

Deno.test("sendWebhook() starts no attempt after the time budget", async () => {
  await using server = startRecordingServer(() => status(500));
  const time = fakeTime();
  const result = await sendWebhook(
    server.url,
    encode('{"id":"e1"}'),
    options(time, { maxElapsedMs: 2000 }),
  );
  // 750 ms, then 1500 ms clamped to the 1250 ms left; then the budget is spent.
  assert.deepEqual(time.sleeps, [750, 1250]);
  assert.equal(server.requests.length, 3);
  assert.equal(
    !result.ok && result.reason.kind === "status" && result.reason.why,
    "time-exhausted",
  );
});

Deno.test("sendWebhook() retries a refused connection, then reports it unreachable", async () => {
  const time = fakeTime();
  const result = await sendWebhook(
    `http://127.0.0.1:${closedPort()}/webhook`,
    encode('{"id":"e1"}'),
    options(time, { retries: 1 }),
  );
  assert.deepEqual(time.sleeps, [750]);
  if (result.ok || result.reason.kind !== "unreachable") throw new Error("expected unreachable");
  assert.equal(result.reason.attempts, 2);
  assert.equal(result.reason.timedOut, false);
});

Deno.test("sendWebhook() times out an attempt that gets no answer", async () => {
  await using server = startSilentServer(() => status(200));
  const result = await sendWebhook(
    server.url,
    encode('{"id":"e1"}'),
    options(fakeTime(), { retries: 0, timeoutMs: 100 }),
  );
  if (result.ok || result.reason.kind !== "unreachable") throw new Error("expected unreachable");
  assert.equal(result.reason.timedOut, true);
});

Deno.test("sendWebhook() sends the given bytes exactly, with the hookgate headers", async () => {
  const payload = encode('{\r\n "id" : "e9",\t"text":"héllo ✓ 😀"  ,"n":1.50e3}\r\n');
  await using server = startRecordingServer(() => status(204));
  const result = await sendWebhook(
    server.url,
    payload,
    options(fakeTime(), { userAgent: "hookgate/test" }),
  );
  assert.equal(result.ok, true);
  const [request] = server.requests;
  assert.deepEqual(request?.body, payload);
  assert.equal(request?.method, "POST");
  assert.equal(request?.headers.get("content-type"), "application/json");
  assert.equal(request?.headers.get("user-agent"), "hookgate/test");
  assert.equal(request?.headers.get("x-timestamp"), "1700000000");
  assert.equal(independentlyValid(request as RecordedRequest), true);
});

Deno.test("sendWebhook() refuses a payload that is not an object and sends nothing", async () => {
  await using server = startRecordingServer(() => status(200));
  const result = await sendWebhook(server.url, encode("[1,2]"), options());
  assert.equal(!result.ok && result.reason.kind, "invalid-payload");
  assert.equal(server.requests.length, 0);
});

Deno.test("sendWebhook() reports every attempt with the wait before the next", async () => {
  await using server = startRecordingServer((_r, index) => status(index === 0 ? 502 : 200));
  const reports: AttemptReport[] = [];
  await sendWebhook(
    server.url,
    encode('{"id":"e1"}'),
    options(fakeTime(), { onAttempt: (r) => reports.push(r) }),
  );
  assert.deepEqual(
    reports.map((r) => [r.attempt, r.maxAttempts, r.outcome.kind, r.retryInMs]),
    [[1, 6, "response", 750], [2, 6, "response", null]],
  );
});

/** An answer whose body breaks off after `text`, as serve's 413 drops a sender still sending. */
function brokenOff(code: number, text: string): Response {
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) return controller.error(new Error("connection dropped"));
      sent = true;
      controller.enqueue(encode(text));
    },
  });
  return new Response(body, { status: code, headers: { connection: "close" } });
}

Deno.test("sendWebhook() takes a 413 whose body breaks off as a 413: no retry, not unreachable", async () => {
  await using server = startRecordingServer(() => brokenOff(413, '{"error":"payload too large"}'));
  const time = fakeTime();
  const result = await sendWebhook(server.url, encode('{"id":"e1"}'), options(time));
  assert.equal(server.requests.length, 1);
  assert.deepEqual(time.sleeps, []);
  if (result.ok || result.reason.kind !== "status") throw new Error("expected a status failure");
  assert.equal(result.reason.status, 413);
  assert.equal(result.reason.why, "rejected");
  assert.match(result.reason.body, /payload too large/);
});

Deno.test("sendWebhook() takes a 200 whose body breaks off as delivered: not sent again", async () => {
  await using server = startRecordingServer(() => brokenOff(200, '{"status":"acc'));
  const result = await sendWebhook(server.url, encode('{"id":"e1"}'), options());
  assert.equal(server.requests.length, 1);
  assert.equal(result.ok && result.value.status, 200);
});

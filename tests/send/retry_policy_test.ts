import assert from "node:assert/strict";
import {
  backoffDelayMs,
  judgeStatus,
  parseRetryAfterMs,
  planRetry,
} from "../../lib/send/retry_policy.ts";

Deno.test("judgeStatus() retries 408, 429 and every 5xx", () => {
  for (const status of [408, 429, 500, 502, 503, 504, 599]) {
    assert.equal(judgeStatus(status), "retry", String(status));
  }
});

Deno.test("judgeStatus() treats 2xx as delivered", () => {
  for (const status of [200, 201, 202, 204]) assert.equal(judgeStatus(status), "delivered");
});

Deno.test("judgeStatus() never retries other 4xx", () => {
  for (const status of [400, 401, 403, 404, 409, 413, 422]) {
    assert.equal(judgeStatus(status), "rejected", String(status));
  }
});

Deno.test("judgeStatus() stops on 410 and on every redirect", () => {
  assert.equal(judgeStatus(410), "gone");
  for (const status of [301, 302, 303, 307, 308]) assert.equal(judgeStatus(status), "redirect");
});

Deno.test("parseRetryAfterMs() reads delay-seconds", () => {
  assert.equal(parseRetryAfterMs("2", 0), 2000);
  assert.equal(parseRetryAfterMs(" 0 ", 0), 0);
});

Deno.test("parseRetryAfterMs() reads an HTTP-date relative to now", () => {
  const now = Date.UTC(2015, 9, 21, 7, 28, 0);
  assert.equal(parseRetryAfterMs("Wed, 21 Oct 2015 07:28:05 GMT", now), 5000);
});

Deno.test("parseRetryAfterMs() makes a date in the past a zero wait", () => {
  const now = Date.UTC(2015, 9, 21, 8, 0, 0);
  assert.equal(parseRetryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT", now), 0);
});

Deno.test("parseRetryAfterMs() ignores what it cannot read", () => {
  for (const value of [null, "", "-1", "1.5", "soon", "Wed, 31 Feb 2015 07:28:00 GMT", "2s"]) {
    assert.equal(parseRetryAfterMs(value, 0), null, String(value));
  }
});

Deno.test("backoffDelayMs() doubles its ceiling per retry and caps it", () => {
  const top = () => 0.999999;
  assert.equal(backoffDelayMs(1, { random: top, baseDelayMs: 1000 }), 999);
  assert.equal(backoffDelayMs(2, { random: top, baseDelayMs: 1000 }), 1999);
  assert.equal(backoffDelayMs(4, { random: top, baseDelayMs: 1000 }), 7999);
  assert.equal(backoffDelayMs(10, { random: top, baseDelayMs: 1000, maxDelayMs: 5000 }), 4999);
});

Deno.test("backoffDelayMs() draws the whole range (full jitter)", () => {
  assert.equal(backoffDelayMs(3, { random: () => 0 }), 0);
  assert.equal(backoffDelayMs(3, { random: () => 0.5, baseDelayMs: 1000 }), 2000);
});

const plan = {
  attempt: 1,
  maxAttempts: 6,
  elapsedMs: 0,
  maxElapsedMs: 60_000,
  retryAfterMs: null,
  random: () => 0.5,
};

Deno.test("planRetry() honours Retry-After over the backoff", () => {
  assert.deepEqual(planRetry({ ...plan, retryAfterMs: 2000 }), { retry: true, delayMs: 2000 });
});

Deno.test("planRetry() stops at a Retry-After longer than the remaining budget", () => {
  assert.deepEqual(
    planRetry({ ...plan, elapsedMs: 55_000, retryAfterMs: 120_000 }),
    { retry: false, why: "retry-after", retryAfterMs: 120_000 },
  );
  // One that fits is waited out whole.
  assert.deepEqual(
    planRetry({ ...plan, elapsedMs: 55_000, retryAfterMs: 5000 }),
    { retry: true, delayMs: 5000 },
  );
});

Deno.test("planRetry() stops after the last attempt", () => {
  assert.deepEqual(planRetry({ ...plan, attempt: 6 }), {
    retry: false,
    why: "attempts-exhausted",
  });
});

Deno.test("planRetry() stops when the time budget is spent", () => {
  assert.deepEqual(planRetry({ ...plan, elapsedMs: 60_000 }), {
    retry: false,
    why: "time-exhausted",
  });
});

/**
 * When `hookgate send` retries a delivery, and how long it waits: what an HTTP answer
 * means (retry, delivered, rejected, gone, redirect), Retry-After, and full-jitter backoff
 * within a time budget. Pure: the clock and the randomness are passed in. (A failed
 * `--exec` hand-off is retried by the store, with `execRetryDelayMs` of lib/handoff/.)
 */

/** What one answer means for the delivery. */
export type StatusVerdict =
  | "delivered"
  | "retry"
  /** 3xx: a signed delivery is never redirected; the sender must be pointed at the final URL. */
  | "redirect"
  /** 410: the receiver says the endpoint is gone for good. */
  | "gone"
  /** Any other 4xx (and anything unexpected): retrying the same request cannot help. */
  | "rejected";

export function judgeStatus(status: number): StatusVerdict {
  if (status >= 200 && status < 300) return "delivered";
  if (status === 408 || status === 429 || (status >= 500 && status < 600)) return "retry";
  if (status >= 300 && status < 400) return "redirect";
  if (status === 410) return "gone";
  return "rejected";
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const IMF_FIXDATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) ([A-Z][a-z]{2}) ([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT$/;

/**
 * `Retry-After` as a wait in milliseconds from `nowMs`: delay-seconds or an
 * HTTP-date (IMF-fixdate, RFC 9110 §5.6.7). A date in the past is 0; anything
 * unparseable is null (the caller falls back to its backoff).
 */
export function parseRetryAfterMs(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const raw = value.trim();
  if (/^[0-9]{1,10}$/.test(raw)) return Number(raw) * 1000;
  const match = IMF_FIXDATE.exec(raw);
  if (!match) return null;
  const [, day, monthName, year, hour, minute, second] = match;
  const month = MONTHS.indexOf(monthName as string);
  if (month < 0) return null;
  const atMs = Date.UTC(
    Number(year),
    month,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
  );
  // Date.UTC rolls "31 Feb" over into March; a date that rolled is not a date.
  if (new Date(atMs).getUTCDate() !== Number(day)) return null;
  return Math.max(0, atMs - nowMs);
}

export interface BackoffOptions {
  /** A number in [0, 1), e.g. Math.random. */
  random: () => number;
  /** The ceiling of the first retry's wait. */
  baseDelayMs?: number;
  /** No single wait grows past this. */
  maxDelayMs?: number;
}

export const DEFAULT_BASE_DELAY_MS = 1_000;
export const DEFAULT_MAX_DELAY_MS = 30_000;

/**
 * Exponential backoff with full jitter: a uniform wait in
 * [0, min(max, base × 2^(retry−1))), so retrying senders spread out instead of
 * arriving together. `retry` counts from 1.
 */
export function backoffDelayMs(retry: number, options: BackoffOptions): number {
  const base = options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  const max = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, retry - 1));
  return Math.floor(options.random() * ceiling);
}

export interface RetryPlanOptions extends BackoffOptions {
  /** The attempt that just failed, counting from 1. */
  attempt: number;
  maxAttempts: number;
  /** Time since the first attempt started. */
  elapsedMs: number;
  /** No attempt starts later than this after the first one. */
  maxElapsedMs: number;
  /** The receiver's `Retry-After`, already parsed, or null. */
  retryAfterMs: number | null;
}

export type RetryPlan =
  | { retry: true; delayMs: number }
  | { retry: false; why: "attempts-exhausted" | "time-exhausted" }
  /** The receiver asked for a wait longer than what is left of the budget. */
  | { retry: false; why: "retry-after"; retryAfterMs: number };

/**
 * Whether to try again after a retryable failure, and after how long. A
 * `Retry-After` is honoured over the backoff. One that asks for longer than what is left of
 * the time budget ends the delivery at once: an attempt before then goes against the
 * receiver's word, and waiting out the budget for it helps nobody. The backoff's wait is
 * clamped to the budget, so the last attempt starts at the latest at the end of it.
 */
export function planRetry(options: RetryPlanOptions): RetryPlan {
  if (options.attempt >= options.maxAttempts) return { retry: false, why: "attempts-exhausted" };
  const remainingMs = options.maxElapsedMs - options.elapsedMs;
  if (remainingMs <= 0) return { retry: false, why: "time-exhausted" };
  const { retryAfterMs } = options;
  if (retryAfterMs !== null) {
    return retryAfterMs > remainingMs
      ? { retry: false, why: "retry-after", retryAfterMs }
      : { retry: true, delayMs: retryAfterMs };
  }
  return { retry: true, delayMs: Math.min(backoffDelayMs(options.attempt, options), remainingMs) };
}

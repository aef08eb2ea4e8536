/**
 * Signing and delivering one webhook with retries: the caller gives bytes, keys and a
 * scheme; `fetch` and the clock can be passed in, so every retry path is tested offline.
 */
import {
  concatBytes,
  networkErrorMessage,
  PLAIN_HTTP_ANSWER,
  sleep as waitMs,
} from "../util/mod.ts";
import { ensurePayloadId } from "./payload_id.ts";
import { createRedactor, redactBytesThenTruncate, type Redactor } from "../redact/mod.ts";
import { fail, type HmacKey, ok, type Result } from "../util/mod.ts";
import {
  judgeStatus,
  parseRetryAfterMs,
  planRetry,
  type RetryPlanOptions,
} from "./retry_policy.ts";
import { hookgateScheme, type Scheme } from "../schemes/mod.ts";

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface SendOptions {
  /** The wire format; the `hookgate` scheme by default. */
  scheme?: Scheme;
  /** Every active signing key (rotation: the scheme signs with all it can carry). */
  keys: HmacKey[];
  /** The event id; when the payload has none it is inserted (a random one if omitted). */
  id?: string;
  /** Retries after the first attempt (so at most retries + 1 attempts). */
  retries?: number;
  /** No attempt starts later than this after the first one. */
  maxElapsedMs?: number;
  /** Per attempt, covering the answer's body too. */
  timeoutMs?: number;
  userAgent?: string;
  /** Response bodies past this are cut (the receiver's answer is a short status). */
  maxResponseBytes?: number;
  /** Redacts the receiver's answer before it is cut; credential shapes only when absent. */
  redactor?: Redactor;
  fetch?: FetchLike;
  sleep?: (ms: number) => Promise<void>;
  nowMs?: () => number;
  /** A number in [0, 1) for the backoff jitter. */
  random?: () => number;
  randomBytes?: (byteLength: number) => Uint8Array;
  /** Told about every attempt as it ends, with the wait before the next one (null: no next). */
  onAttempt?: (report: AttemptReport) => void;
}

export type AttemptOutcome =
  | { kind: "response"; status: number; body: string; location: string | null }
  | { kind: "network-error"; message: string }
  | { kind: "timeout"; timeoutMs: number };

export interface AttemptReport {
  attempt: number;
  maxAttempts: number;
  timestampSeconds: number;
  outcome: AttemptOutcome;
  retryInMs: number | null;
}

/** Why a delivery ended without a 2xx. */
export type StopReason =
  | "redirect"
  | "gone"
  | "rejected"
  /** A failure to reach the receiver that repeating cannot fix (an https:// URL for http). */
  | "wrong-protocol"
  /** The receiver's Retry-After asks for longer than what is left of the time budget. */
  | "retry-after"
  | "attempts-exhausted"
  | "time-exhausted";

export interface Delivered {
  status: number;
  body: string;
  attempts: number;
  id: string;
  /** True when the id was inserted into the payload. */
  idAdded: boolean;
  /** The exact bytes sent (and signed). */
  payload: Uint8Array;
}

export type SendFailure =
  | { kind: "invalid-payload"; message: string }
  | { kind: "invalid-url"; message: string }
  /** The receiver answered, finally not with a 2xx. */
  | {
    kind: "status";
    status: number;
    body: string;
    location: string | null;
    why: StopReason;
    attempts: number;
    id: string;
    /** With `why: "retry-after"`: the wait the receiver asked for. */
    retryAfterMs?: number;
  }
  /** The receiver could not be reached (or did not answer in time) on the last attempt. */
  | {
    kind: "unreachable";
    message: string;
    timedOut: boolean;
    why: StopReason;
    attempts: number;
    id: string;
  };

export type SendResult = Result<Delivered, SendFailure>;

export const DEFAULT_RETRIES = 5;
export const DEFAULT_MAX_ELAPSED_MS = 60_000;
/** Per attempt, as the reference Python sender (`requests.post(..., timeout=10)`). */
export const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * Signs and delivers one webhook: the payload's bytes exactly as given (plus an
 * inserted id when it has none), a fresh timestamp and signature per attempt,
 * the same id on every attempt. Expected failures come back as values.
 */
export async function sendWebhook(
  url: string,
  payload: Uint8Array,
  options: SendOptions,
): Promise<SendResult> {
  const target = validateTarget(url);
  if (!target.ok) return fail({ kind: "invalid-url", message: target.reason });
  const prepared = ensurePayloadId(payload, {
    ...(options.id !== undefined ? { id: options.id } : {}),
    ...(options.randomBytes ? { randomBytes: options.randomBytes } : {}),
  });
  if (!prepared.ok) return fail({ kind: "invalid-payload", message: prepared.reason });
  const { bytes, id, added } = prepared.value;

  const scheme = options.scheme ?? hookgateScheme;
  const doFetch: FetchLike = options.fetch ?? fetch;
  const sleep = options.sleep ?? waitMs;
  const nowMs = options.nowMs ?? Date.now;
  const random = options.random ?? Math.random;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxAttempts = (options.retries ?? DEFAULT_RETRIES) + 1;
  const maxElapsedMs = options.maxElapsedMs ?? DEFAULT_MAX_ELAPSED_MS;
  const startedMs = nowMs();
  const redactor = options.redactor ?? createRedactor();

  for (let attempt = 1;; attempt++) {
    const timestampSeconds = Math.floor(nowMs() / 1000);
    const signed = scheme.sign(bytes, { keys: options.keys, timestampSeconds, id });
    const raw = await attemptOnce(doFetch, target.value, {
      headers: {
        ...signed,
        "content-type": "application/json",
        ...(options.userAgent ? { "user-agent": options.userAgent } : {}),
      },
      body: bytes,
      timeoutMs,
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      redactor,
    });
    const step = nextStep(raw, {
      attempt,
      maxAttempts,
      elapsedMs: nowMs() - startedMs,
      maxElapsedMs,
      nowMs: nowMs(),
      random,
    });
    const outcome = publicOutcome(raw);
    const retryInMs = step.kind === "retry" ? step.delayMs : null;
    options.onAttempt?.({ attempt, maxAttempts, timestampSeconds, outcome, retryInMs });
    if (step.kind === "retry") {
      await sleep(step.delayMs);
      continue;
    }
    if (step.kind === "stop") {
      const failure = failureFrom(outcome, { why: step.why, attempts: attempt, id });
      return fail(
        step.retryAfterMs === undefined ? failure : { ...failure, retryAfterMs: step.retryAfterMs },
      );
    }
    const { status, body } = outcome as Extract<AttemptOutcome, { kind: "response" }>;
    return ok({ status, body, attempts: attempt, id, idAdded: added, payload: bytes });
  }
}

type Step =
  | { kind: "delivered" }
  | { kind: "retry"; delayMs: number }
  | { kind: "stop"; why: StopReason; retryAfterMs?: number };

function nextStep(
  outcome: RawOutcome,
  context: Omit<RetryPlanOptions, "retryAfterMs"> & { nowMs: number },
): Step {
  let retryAfterMs: number | null = null;
  if (outcome.kind === "network-error" && outcome.message === PLAIN_HTTP_ANSWER) {
    return { kind: "stop", why: "wrong-protocol" };
  }
  if (outcome.kind === "response") {
    const verdict = judgeStatus(outcome.status);
    if (verdict === "delivered") return { kind: "delivered" };
    if (verdict !== "retry") return { kind: "stop", why: verdict };
    retryAfterMs = parseRetryAfterMs(outcome.retryAfter, context.nowMs);
  }
  const plan = planRetry({ ...context, retryAfterMs });
  if (plan.retry) return { kind: "retry", delayMs: plan.delayMs };
  return plan.why === "retry-after"
    ? { kind: "stop", why: plan.why, retryAfterMs: plan.retryAfterMs }
    : { kind: "stop", why: plan.why };
}

type RawOutcome =
  | (Extract<AttemptOutcome, { kind: "response" }> & { retryAfter: string | null })
  | Exclude<AttemptOutcome, { kind: "response" }>;

function publicOutcome(outcome: RawOutcome): AttemptOutcome {
  if (outcome.kind !== "response") return outcome;
  const { retryAfter: _retryAfter, ...rest } = outcome;
  return rest;
}

function failureFrom(
  outcome: AttemptOutcome,
  context: { why: StopReason; attempts: number; id: string },
): SendFailure {
  if (outcome.kind === "response") {
    return {
      kind: "status",
      status: outcome.status,
      body: outcome.body,
      location: outcome.location,
      ...context,
    };
  }
  if (outcome.kind === "timeout") {
    return {
      kind: "unreachable",
      message: `no answer within ${outcome.timeoutMs} ms`,
      timedOut: true,
      ...context,
    };
  }
  return { kind: "unreachable", message: outcome.message, timedOut: false, ...context };
}

function validateTarget(url: string): Result<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail(
      `'${url}' is not a URL: give an absolute http(s) URL such as https://example.com/webhook`,
    );
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return fail(
      `'${parsed.protocol}' URLs are not supported: use https:// (or http:// for local tests)`,
    );
  }
  return ok(parsed.href);
}

/** One POST; a redirect is returned as an answer, never followed. */
async function attemptOnce(
  doFetch: FetchLike,
  url: string,
  request: {
    headers: Record<string, string>;
    body: Uint8Array;
    timeoutMs: number;
    maxResponseBytes: number;
    redactor: Redactor;
  },
): Promise<RawOutcome> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, request.timeoutMs);
  try {
    const response = await doFetch(url, {
      method: "POST",
      headers: request.headers,
      body: request.body as Uint8Array<ArrayBuffer>,
      redirect: "manual",
      signal: controller.signal,
    });
    const body = await readCapped(response, request.maxResponseBytes, request.redactor);
    return {
      kind: "response",
      status: response.status,
      body,
      location: response.headers.get("location"),
      retryAfter: response.headers.get("retry-after"),
    };
  } catch (error) {
    if (timedOut) return { kind: "timeout", timeoutMs: request.timeoutMs };
    return { kind: "network-error", message: networkErrorMessage(error) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The answer's text, at most `maxChars`, redacted before it is cut: everything read is
 * redacted whole, and a piece of a secret at the end of what was read goes too. A body that
 * breaks off (serve drops a sender still sending after its 413; the timeout) gives what
 * arrived: the status is already the receiver's verdict, so it is not made a network error.
 */
async function readCapped(
  response: Response,
  maxChars: number,
  redactor: Redactor,
): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  try {
    while (total < maxChars) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      chunks.push(value);
      total += value.length;
    }
  } catch {
    // Broken off: what arrived is the answer's text, marked as cut.
  } finally {
    // Frees the connection whether the body ended, was cut, or failed.
    await reader.cancel().catch(() => {});
  }
  return redactBytesThenTruncate(redactor, concatBytes(...chunks), {
    maxChars,
    inputWasCut: !ended,
  }).text;
}

/**
 * The webhook handler serve runs for its routes: body, scheme, the three gates, the store,
 * one answer and one request record per request.
 */
import { type EventStore, type IncomingEvent, StoreFailedError } from "../store/mod.ts";
import { digestKey, eventKey } from "./event_key.ts";
import { readBody } from "./read_body.ts";
import { ReplayMemory } from "./replay_memory.ts";
import { requestPath } from "./request_path.ts";
import type { RequestRecord } from "./request_record.ts";
import { activeKeys, type Route } from "./route.ts";
import { verifyDelivery } from "./verify_delivery.ts";
import { decodeUtf8 } from "../util/mod.ts";

export interface WebhookHandlerOptions {
  routes: Route[];
  store: EventStore;
  maxBodyBytes: number;
  /**
   * The whole body must arrive within this long from the handler's start, whatever the
   * pace of its bytes, or the answer is 408 (default 10 s).
   */
  readTimeoutMs?: number;
  /** The clock, in milliseconds (injected so tests can pin gate 1). */
  now(): number;
  /** One record per request, for the trace. */
  onRecord(record: RequestRecord): void;
  /** The store failed for good (StoreFailedError): told once, with why. */
  onStoreFailed?(message: string): void;
  /**
   * Any other error of the store's on an accept (answered 503, the sender retries): why, so
   * the log can say what the 503 alone does not (a full disk, a lock held, Redis gone).
   */
  onStoreError?(error: unknown): void;
}

export const DEFAULT_READ_TIMEOUT_MS = 10_000;
/**
 * How long the connection lingers after the answer to an unfinished body before it is
 * dropped: a sender still writing its body gets the time to read the answer first.
 */
const CLOSE_AFTER_MS = 250;
const JSON_HEADERS = { "content-type": "application/json" };
/** The answers every request shares, serialized once (a Response itself cannot be reused). */
const ACCEPTED_BODY = JSON.stringify({ status: "accepted" });
const DUPLICATE_BODY = JSON.stringify({ status: "duplicate-ignored" });
const HEALTHY_BODY = JSON.stringify({ status: "ok" });
const STORE_FAILED_BODY = JSON.stringify({
  status: "store failed: nothing is acknowledged until serve restarts",
});
const METHOD_NOT_ALLOWED_HEADERS = { ...JSON_HEADERS, allow: "POST" };
const errorBodies = new Map<string, string>();

function json(
  status: number,
  body: string,
  headers: Record<string, string> = JSON_HEADERS,
): Response {
  return new Response(body, { status, headers });
}

/**
 * How an answer's body ends on purpose to drop its connection (see `closingResponse`): the
 * server reports it as a failed response, which it is not.
 */
export class ConnectionDropped extends Error {
  constructor() {
    super("connection closed after an unread request body");
    this.name = "ConnectionDropped";
  }
}

/**
 * The answer to a body cut off at the cap (413), after which the connection must end while
 * the sender may still be sending. `Connection: close` alone is not enough: Deno's server
 * keeps reading the rest of an unfinished body before it closes, so a sender declaring a
 * huge body and trickling it would hold the connection. The answer goes out as one chunk
 * of JSON, then the body stream fails, which makes the server drop the connection (the
 * closing zero-length chunk is never sent; status, headers and JSON have arrived). This
 * works only when no read of the body is under way, as after a 413; after a 408 a read is
 * always pending, the drop would not happen, so a 408 is a complete answer.
 */
async function closingResponse(response: Response): Promise<Response> {
  const bytes = await response.bytes();
  let sent = false;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(bytes);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, CLOSE_AFTER_MS));
      controller.error(new ConnectionDropped());
    },
  });
  const headers = new Headers(response.headers);
  headers.set("connection", "close");
  return new Response(stream, { status: response.status, headers });
}

function errorBody(reason: string): string {
  let body = errorBodies.get(reason);
  if (body === undefined) {
    body = JSON.stringify({ error: reason });
    // Reasons are a small fixed set; the bound only guards against a future dynamic one.
    if (errorBodies.size < 256) errorBodies.set(reason, body);
  }
  return body;
}

interface Answer {
  response: Response;
  /** How the connection ends after an answer to a body that was not read to its end. */
  close?: "drop" | "header";
  outcome: string;
  key: string | null;
  id: string | null;
  bodyBytes: number;
}

function reject(status: number, reason: string, bodyBytes: number): Answer {
  return {
    response: json(status, errorBody(reason)),
    outcome: reason,
    key: null,
    id: null,
    bodyBytes,
  };
}

/**
 * The receive path (docs/architecture.md, "The receive path") as a plain `Request → Response` function:
 * body cap, gate 1 (fresh), gate 2 (authentic), an exact replay of an event accepted here
 * answered from memory (lib/receive/replay_memory.ts), JSON only after that, then
 * gate 3 (the store's atomic claim + inbox commit). Nothing touches the store
 * before the signature verified, and "accepted" is answered only once
 * `store.accept` resolved, i.e. once the commit is durable.
 */
export function createWebhookHandler(
  options: WebhookHandlerOptions,
): (
  request: Request,
  remoteAddress?: string | null,
  path?: string | null,
) => Promise<Response> {
  const routesByPath = new Map(options.routes.map((route) => [route.path, route]));
  // Only with a store that answers replays from its own memory too (a local one).
  const replays = options.store.replaysFromMemory ? new ReplayMemory() : null;
  /** Set once the store has failed for good: /healthz answers 503 from then on. */
  let storeHasFailed = false;
  const storeFailed = (error: unknown) => {
    if (!(error instanceof StoreFailedError)) return options.onStoreError?.(error);
    if (storeHasFailed) return;
    storeHasFailed = true;
    options.onStoreFailed?.(error.message);
  };
  // `path` is the caller's requestPath(request) when it already has one (serve asks the events
  // API first); null means the Host header could have moved the path: 400, never routed.
  return async (request, remoteAddress = null, path = requestPath(request)) => {
    const startedMs = options.now();
    const route = path === null ? null : routesByPath.get(path) ?? null;
    let result: Answer;
    if (path === null) {
      result = reject(400, "invalid Host header", 0);
    } else if (route === null) {
      result = path === "/healthz" && (request.method === "GET" || request.method === "HEAD")
        ? {
          response: storeHasFailed ? json(503, STORE_FAILED_BODY) : json(200, HEALTHY_BODY),
          outcome: storeHasFailed ? "store failed" : "ok",
          key: null,
          id: null,
          bodyBytes: 0,
        }
        : reject(404, "not found", 0);
    } else if (request.method !== "POST") {
      result = {
        response: json(405, errorBody("method not allowed"), METHOD_NOT_ALLOWED_HEADERS),
        outcome: "method not allowed",
        key: null,
        id: null,
        bodyBytes: 0,
      };
    } else {
      // Once the store has failed for good nothing is acknowledged, replays neither.
      result = await receive(route, request, options, storeHasFailed ? null : replays, storeFailed);
    }
    let response = result.response;
    if (result.close === "drop") {
      response = await closingResponse(response);
    } else if (result.close === "header" || (!request.bodyUsed && request.body !== null)) {
      // A body timed out, unreadable, or never read (404, 405): the connection ends after
      // the answer, which is complete for a sender that reads the reply.
      // (A body read to its end needs no cancel, and touching request.body costs a stream.)
      if (!request.bodyUsed) await request.body?.cancel().catch(() => {});
      response.headers.set("connection", "close");
    }
    options.onRecord({
      type: "request",
      method: request.method,
      path: path ?? "",
      remoteAddress,
      route: route?.name ?? null,
      status: result.response.status,
      outcome: result.outcome,
      key: result.key,
      id: result.id,
      bodyBytes: result.bodyBytes,
      durationMs: options.now() - startedMs,
    });
    return response;
  };
}

async function receive(
  route: Route,
  request: Request,
  options: WebhookHandlerOptions,
  replays: ReplayMemory | null,
  storeFailed: (error: unknown) => void,
): Promise<Answer> {
  const body = await readBody(request, {
    maxBodyBytes: options.maxBodyBytes,
    timeoutMs: options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS,
  });
  if (!body.ok) {
    const [status, reason] = body.reason === "too-large"
      ? [413, "payload too large"]
      : body.reason === "timeout"
      ? [408, "request body timed out"]
      : [400, "unreadable body"];
    return { ...reject(status, reason, 0), close: status === 413 ? "drop" : "header" };
  }
  const bytes = body.value;
  const nowMs = options.now();
  const verified = verifyDelivery(
    { scheme: route.scheme, keys: activeKeys(route, nowMs), headers: request.headers, body: bytes },
    { nowSeconds: Math.floor(nowMs / 1000), toleranceSeconds: route.toleranceSeconds },
  );
  if (!verified.ok) return reject(401, verified.reason, bytes.length);
  // An exact replay of an event accepted here: its answer without parsing the body again.
  const replayed = replays?.recall(route.name, verified.value, nowMs) ?? null;
  if (replayed !== null) return duplicateOf(replayed, bytes.length);
  const payload = parseObject(bytes);
  if (payload === null) {
    // A provider set to send form-encoded bodies (GitHub's other content type) is the usual cause.
    const form = request.headers.get("content-type")?.startsWith(
      "application/x-www-form-urlencoded",
    );
    return reject(
      400,
      form
        ? "payload must be a JSON object: this one is form-encoded; set the webhook's content " +
          "type to application/json"
        : "payload must be a JSON object",
      bytes.length,
    );
  }
  const key = eventKey(payload, {
    headerId: verified.value.headerId,
    signedContent: verified.value.signedContent,
  });
  if (!key.ok) return reject(400, key.reason, bytes.length);
  // Built field by field (no spread): a replay flood builds one of these per request.
  const event: IncomingEvent = {
    route: route.name,
    key: key.value.key,
    id: key.value.id,
    payload: bytes,
    receivedAtMs: nowMs,
    retentionMs: claimRetentionMs(route, verified.value.timestampSeconds, nowMs),
  };
  let accepted: "accepted" | "duplicate";
  try {
    if (!route.scheme.timestamped) {
      event.aliasKeys = replayAliases(key.value.key, verified.value.signedContent);
    }
    accepted = await options.store.accept(event);
  } catch (error) {
    storeFailed(error);
    // The sender will retry a 503; a 200 here could lose the event.
    return { ...reject(503, "store unavailable, retry later", bytes.length), ...key.value };
  }
  if (accepted === "duplicate") return duplicateOf(key.value, bytes.length);
  // Its claim's own expiry: the store holds the claim at least that long.
  replays?.remember(route.name, verified.value, key.value, nowMs + event.retentionMs);
  return {
    response: json(200, ACCEPTED_BODY),
    outcome: accepted,
    key: key.value.key,
    id: key.value.id,
    bodyBytes: bytes.length,
  };
}

function duplicateOf(event: { key: string; id: string | null }, bodyBytes: number): Answer {
  return {
    response: json(200, DUPLICATE_BODY),
    outcome: "duplicate",
    key: event.key,
    id: event.id,
    bodyBytes,
  };
}

/**
 * How long a claim must be held from `nowMs`: the route's retention, and at least until
 * the same timestamp stops passing gate 1 (it passes while the whole second
 * `ts + tolerance` lasts), so an exact replay is never fresh after its claim is gone.
 */
export function claimRetentionMs(
  route: Route,
  timestampSeconds: number | null,
  nowMs: number,
): number {
  if (timestampSeconds === null) return route.retentionMs;
  const lastFreshMs = (timestampSeconds + route.toleranceSeconds + 1) * 1000;
  return Math.max(route.retentionMs, lastFreshMs - nowMs);
}

/**
 * A scheme whose signature covers neither a timestamp nor an id (GitHub) signs only the
 * body: the body's digest is claimed beside the (unsigned) delivery id, so the same signed
 * body under a new delivery id, or none, is a replay.
 */
function replayAliases(key: string, signedContent: Uint8Array): string[] {
  // The alias claim is its own namespace: an id-less delivery claims it too (a later copy
  // under a delivery id checks aliases), and its key already is the digest.
  return [key.startsWith("sha256:") ? key : digestKey(signedContent)];
}

function parseObject(bytes: Uint8Array): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(decodeUtf8(bytes));
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? value as Record<string, unknown>
      : null;
  } catch {
    // Invalid UTF-8, invalid JSON, or nesting deep enough to exhaust the parser: all bad input.
    return null;
  }
}

import type { EventStore } from "../store/mod.ts";
import { eventKey } from "./event_key.ts";
import { readBody } from "./read_body.ts";
import { pathOf } from "./request_path.ts";
import type { RequestRecord } from "./request_record.ts";
import { activeKeys, type Route } from "./route.ts";
import { verifyDelivery } from "./verify_delivery.ts";

export interface WebhookHandlerOptions {
  routes: Route[];
  store: EventStore;
  maxBodyBytes: number;
  /** A body that stalls this long gets 408 (default 30 s). */
  bodyIdleTimeoutMs?: number;
  /** The clock, in milliseconds (injected so tests can pin gate 1). */
  now(): number;
  /** One record per request, for the trace. */
  onRecord(record: RequestRecord): void;
}

export const DEFAULT_BODY_IDLE_TIMEOUT_MS = 30_000;
const decoder = new TextDecoder("utf-8", { fatal: true });
const JSON_HEADERS = { "content-type": "application/json" };
/** The answers every request shares, serialized once (a Response itself cannot be reused). */
const ACCEPTED_BODY = JSON.stringify({ status: "accepted" });
const DUPLICATE_BODY = JSON.stringify({ status: "duplicate-ignored" });
const HEALTHY_BODY = JSON.stringify({ status: "ok" });
const METHOD_NOT_ALLOWED_HEADERS = { ...JSON_HEADERS, allow: "POST" };
const errorBodies = new Map<string, string>();

function json(
  status: number,
  body: string,
  headers: Record<string, string> = JSON_HEADERS,
): Response {
  return new Response(body, { status, headers });
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

interface Outcome {
  response: Response;
  outcome: string;
  key: string | null;
  id: string | null;
  bodyBytes: number;
}

function reject(status: number, reason: string, bodyBytes: number): Outcome {
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
 * body cap, gate 1 (fresh), gate 2 (authentic), JSON only after that, then
 * gate 3 (the store's atomic claim + inbox commit). Nothing touches the store
 * before the signature verified, and "accepted" is answered only once
 * `store.accept` resolved, i.e. once the commit is durable.
 */
export function createWebhookHandler(
  options: WebhookHandlerOptions,
): (request: Request, remoteAddress?: string | null, path?: string) => Promise<Response> {
  const routesByPath = new Map(options.routes.map((route) => [route.path, route]));
  // `path` is the caller's pathOf(request.url) when it already has one (serve asks the events API first).
  return async (request, remoteAddress = null, path = pathOf(request.url)) => {
    const startedMs = options.now();
    const route = routesByPath.get(path) ?? null;
    let result: Outcome;
    if (route === null) {
      result = path === "/healthz" && (request.method === "GET" || request.method === "HEAD")
        ? {
          response: json(200, HEALTHY_BODY),
          outcome: "ok",
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
      result = await receive(route, request, options);
    }
    // A body read to its end needs no cancel (and touching request.body costs a stream).
    if (!request.bodyUsed) await request.body?.cancel().catch(() => {});
    options.onRecord({
      type: "request",
      method: request.method,
      path,
      remoteAddress,
      route: route?.name ?? null,
      status: result.response.status,
      outcome: result.outcome,
      key: result.key,
      id: result.id,
      bodyBytes: result.bodyBytes,
      durationMs: options.now() - startedMs,
    });
    return result.response;
  };
}

async function receive(
  route: Route,
  request: Request,
  options: WebhookHandlerOptions,
): Promise<Outcome> {
  const body = await readBody(request, {
    maxBodyBytes: options.maxBodyBytes,
    idleTimeoutMs: options.bodyIdleTimeoutMs ?? DEFAULT_BODY_IDLE_TIMEOUT_MS,
  });
  if (!body.ok) {
    if (body.reason === "too-large") return reject(413, "payload too large", 0);
    if (body.reason === "timeout") return reject(408, "request body timed out", 0);
    return reject(400, "unreadable body", 0);
  }
  const bytes = body.value;
  const nowMs = options.now();
  const verified = await verifyDelivery(
    { scheme: route.scheme, keys: activeKeys(route, nowMs), headers: request.headers, body: bytes },
    { nowSeconds: Math.floor(nowMs / 1000), toleranceSeconds: route.toleranceSeconds },
  );
  if (!verified.ok) return reject(401, verified.reason, bytes.length);
  const payload = parseObject(bytes);
  if (payload === null) return reject(400, "payload must be a JSON object", bytes.length);
  const key = await eventKey(payload, {
    headerId: verified.value.headerId,
    signedContent: verified.value.signedContent,
  });
  if (!key.ok) return reject(400, key.reason, bytes.length);
  let accepted: "accepted" | "duplicate";
  try {
    accepted = await options.store.accept({
      route: route.name,
      key: key.value.key,
      id: key.value.id,
      payload: bytes,
      receivedAtMs: nowMs,
      retentionMs: route.retentionMs,
    });
  } catch {
    // The sender will retry a 503; a 200 here could lose the event.
    return { ...reject(503, "store unavailable, retry later", bytes.length), ...key.value };
  }
  return {
    response: json(200, accepted === "accepted" ? ACCEPTED_BODY : DUPLICATE_BODY),
    outcome: accepted,
    key: key.value.key,
    id: key.value.id,
    bodyBytes: bytes.length,
  };
}

function parseObject(bytes: Uint8Array): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(decoder.decode(bytes));
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? value as Record<string, unknown>
      : null;
  } catch {
    // Invalid UTF-8, invalid JSON, or nesting deep enough to exhaust the parser: all bad input.
    return null;
  }
}

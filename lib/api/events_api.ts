/**
 * The inspection API `serve` exposes next to its webhook routes:
 *
 *   GET  /events?status=pending|done|dead&limit=N   scope read
 *   GET  /events/{route}/{key}                      scope read  (payload redacted)
 *   POST /events/{route}/{key}/redeliver            scope write (a done or dead event; 409 if pending)
 *   GET  /events/stream                             scope read  (Server-Sent Events, when given)
 *
 * `{key}` is one path segment, percent-encoded (`id:evt%2F1` for the key
 * `id:evt/1`). Every request needs `Authorization: Bearer <hookgate token>`;
 * the token is checked before anything else about the request is looked at,
 * and it never appears in a response, a log or an error.
 */
import {
  scopeAllows,
  type TokenFailure,
  type TokenScope,
  type VerifiedToken,
  verifyToken,
} from "./bearer_token.ts";
import { type EventStatus, type EventStore, payloadSize, type StoredEvent } from "../store/mod.ts";
import { type Redactor, stringifyRedacted } from "../redact/mod.ts";
import { MAX_EVENT_KEY_BYTES, pathOf } from "../receive/mod.ts";
import { type HmacKey, utf8 } from "../util/mod.ts";
import { EventRefs, REF_MARK } from "./event_refs.ts";

export interface EventsApiOptions {
  store: EventStore;
  /** HOOKGATE_TOKEN_SECRET's key (see `tokenKeyFromEnv`). */
  tokenKey: HmacKey;
  revocations: { isRevoked(tokenId: string): Promise<boolean> };
  /** Payloads and errors leave only through it. */
  redactor: Redactor;
  now(): number;
  /** One record per request, for the trace: who (token id, never the token) did what. */
  onRecord?(record: ApiRecord): void;
  /** Answers GET /events/stream for a verified read token (404 without it). */
  stream?(request: Request, token: VerifiedToken): Response;
  /** The links to events whose key is redacted; give the live stream's the same (default: its own). */
  refs?: EventRefs;
}

export interface ApiRecord {
  type: "api";
  method: string;
  path: string;
  status: number;
  /** The verified token's id and scope; null when the token was refused. */
  tokenId: string | null;
  scope: TokenScope | null;
  /**
   * Why the token was refused, or null; `revocation_unchecked`: its revocation could not be
   * looked up (the shared store is down), so the request was answered 503.
   */
  refused: TokenFailure | "revocation_unchecked" | null;
}

/** Route names come from --route paths; no real one comes near this. */
const MAX_ROUTE_NAME_BYTES = 256;
export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 1000;
const STATUSES: readonly EventStatus[] = ["pending", "done", "dead"];
const REALM = 'Bearer realm="hookgate"';
const FAILURE_TEXT: Record<Exclude<TokenFailure, "missing">, string> = {
  malformed: "the bearer token is malformed",
  bad_signature: "the bearer token is not valid",
  bad_claims: "the bearer token is not valid",
  expired: "the bearer token expired",
  revoked: "the bearer token was revoked",
};

/** The options with the references settled on. */
type ApiContext = EventsApiOptions & { refs: EventRefs };

type Endpoint =
  | { kind: "list" }
  | { kind: "stream" }
  | { kind: "get"; route: string; key: string }
  | { kind: "redeliver"; route: string; key: string };

/** Returns null for a path outside /events, so `serve` falls through to its webhook routes. */
export function createEventsApi(
  options: EventsApiOptions,
): (request: Request, path?: string) => Promise<Response | null> {
  const withRefs = { ...options, refs: options.refs ?? new EventRefs() };
  // Every webhook request passes here first: decide by the path (serve's, computed once), not a URL.
  return async (request, path = pathOf(request.url)) => {
    if (path !== "/events" && !path.startsWith("/events/")) return null;
    const url = new URL(request.url);
    // A revocation list that cannot be read (the shared store is down) refuses the request:
    // a token is never let through unchecked.
    const token = await verifyToken(request.headers.get("authorization"), {
      key: options.tokenKey,
      nowMs: options.now(),
      isRevoked: (id) => options.revocations.isRevoked(id),
    }).catch(() => null);
    const response = token === null
      ? storeUnavailable()
      : token.ok
      ? await authorized(request, url, token.value, withRefs)
      : unauthorized(token.reason);
    options.onRecord?.({
      type: "api",
      method: request.method,
      path: url.pathname,
      status: response.status,
      tokenId: token?.ok ? token.value.tokenId : null,
      scope: token?.ok ? token.value.scope : null,
      refused: token === null ? "revocation_unchecked" : token.ok ? null : token.reason,
    });
    return response;
  };
}

async function authorized(
  request: Request,
  url: URL,
  token: VerifiedToken,
  options: ApiContext,
): Promise<Response> {
  const scope = token.scope;
  const endpoint = matchEndpoint(url.pathname);
  if (endpoint === null) return json(404, { error: "not found" });
  if (endpoint === "bad-encoding") return json(400, { error: "bad percent-encoding in the path" });
  if (endpoint === "too-long") {
    return json(400, {
      error: `no event has such a key: keys are at most ${MAX_EVENT_KEY_BYTES} bytes, ` +
        `route names at most ${MAX_ROUTE_NAME_BYTES}`,
    });
  }
  if ((endpoint.kind === "get" || endpoint.kind === "redeliver") && isRef(endpoint.key)) {
    const event = options.refs.resolve(endpoint.key);
    if (event === null || event.route !== endpoint.route) {
      return json(404, {
        error: "no such event: a link to an event whose key is redacted lasts while serve " +
          "runs and remembers it; list the events again for a fresh one",
      });
    }
    endpoint.key = event.key;
  }
  const method = endpoint.kind === "redeliver" ? "POST" : "GET";
  if (request.method !== method) {
    return json(405, { error: "method not allowed" }, { allow: method });
  }
  const required: TokenScope = endpoint.kind === "redeliver" ? "write" : "read";
  if (!scopeAllows(scope, required)) {
    return json(403, { error: `this route needs a ${required} token` }, {
      "www-authenticate": `${REALM}, error="insufficient_scope", scope="${required}"`,
    });
  }
  try {
    switch (endpoint.kind) {
      case "list":
        return await list(url, options);
      case "stream":
        return options.stream?.(request, token) ?? json(404, { error: "not found" });
      case "get": {
        const event = await options.store.get(endpoint.route, endpoint.key);
        if (event === null) return json(404, { error: "no such event" });
        return redactedJson(
          describeEvent(event, options.redactor, true, options.refs),
          options.redactor,
        );
      }
      case "redeliver": {
        switch (await options.store.redeliver(endpoint.route, endpoint.key)) {
          case "unknown":
            return json(404, { error: "no such event" });
          case "pending":
            // Waiting, or held by a consumer right now.
            return json(409, {
              error: "the event is pending: only a done or dead event can be redelivered",
            });
          case "redelivered":
            return redactedJson(
              { status: "pending", route: endpoint.route, key: endpoint.key },
              options.redactor,
              202,
            );
        }
      }
    }
  } catch {
    return storeUnavailable();
  }
}

/** The store's error text may name paths or hosts; the caller only needs to retry. */
function storeUnavailable(): Response {
  return json(503, { error: "store unavailable, retry later" });
}

function isRef(key: string): boolean {
  return key.startsWith(REF_MARK);
}

function matchEndpoint(pathname: string): Endpoint | "bad-encoding" | "too-long" | null {
  if (pathname === "/events") return { kind: "list" };
  // One segment: never an event's path, which has a route and a key.
  if (pathname === "/events/stream") return { kind: "stream" };
  const segments = pathname.slice("/events/".length).split("/");
  if (segments.length < 2 || segments.length > 3 || segments.some((s) => s === "")) return null;
  if (segments.length === 3 && segments[2] !== "redeliver") return null;
  let route: string;
  let key: string;
  try {
    route = decodeURIComponent(segments[0] as string);
    key = decodeURIComponent(segments[1] as string);
  } catch {
    return "bad-encoding";
  }
  // Longer ones cannot name an event, and would only reach the store to fail there (KV keys
  // are limited to 2 KiB).
  if (utf8(key).length > MAX_EVENT_KEY_BYTES || utf8(route).length > MAX_ROUTE_NAME_BYTES) {
    return "too-long";
  }
  return { kind: segments.length === 3 ? "redeliver" : "get", route, key };
}

async function list(url: URL, options: ApiContext): Promise<Response> {
  const status = url.searchParams.get("status") ?? "pending";
  if (!(STATUSES as readonly string[]).includes(status)) {
    return json(400, { error: "status must be one of pending, done, dead" });
  }
  const rawLimit = url.searchParams.get("limit");
  let limit = DEFAULT_LIST_LIMIT;
  if (rawLimit !== null) {
    if (
      !/^[0-9]{1,4}$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > MAX_LIST_LIMIT
    ) {
      return json(400, { error: `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}` });
    }
    limit = Number(rawLimit);
  }
  const events = await options.store.list({
    status: status as EventStatus,
    limit,
    withoutPayloads: true,
  });
  return redactedJson({
    status,
    count: events.length,
    events: events.map((event) => describeEvent(event, options.redactor, false, options.refs)),
  }, options.redactor);
}

/** Optional fields of a StoredEvent: when it last changed, when its next attempt is due. */
interface StoreTimes {
  updatedAtMs?: number;
  nextAttemptAtMs?: number;
}

/**
 * An event as the API shows it: ids and state as they are, payload and error redacted. Its
 * link names its key, or, when the key would be redacted and `refs` is given, a reference
 * that stands for it (lib/api/event_refs.ts).
 */
export function describeEvent(
  event: StoredEvent,
  redactor: Redactor,
  withPayload: boolean,
  refs?: EventRefs,
) {
  // Times a store may record beside the required fields: shown when it does.
  const { updatedAtMs, nextAttemptAtMs } = event as StoredEvent & StoreTimes;
  const summary = {
    route: event.route,
    key: event.key,
    id: event.id,
    status: event.status,
    attempt: event.attempt,
    receivedAt: new Date(event.receivedAtMs).toISOString(),
    lastError: event.lastError === null ? null : redactor.text(event.lastError),
    payloadBytes: payloadSize(event),
    href: `/events/${encodeURIComponent(event.route)}/${
      encodeURIComponent(
        refs !== undefined && redactor.text(event.key) !== event.key
          ? refs.refOf(event.route, event.key)
          : event.key,
      )
    }`,
    ...(updatedAtMs === undefined ? {} : { updatedAt: new Date(updatedAtMs).toISOString() }),
    ...(nextAttemptAtMs === undefined
      ? {}
      : { nextAttemptAt: new Date(nextAttemptAtMs).toISOString() }),
  };
  return withPayload ? { ...summary, payload: redactedPayload(event.payload, redactor) } : summary;
}

/** A JSON payload is redacted as a tree (secret keys too); anything else as text. */
function redactedPayload(payload: Uint8Array, redactor: Redactor): unknown {
  const text = new TextDecoder().decode(payload);
  try {
    return redactor.value(JSON.parse(text));
  } catch {
    return redactor.text(text);
  }
}

function unauthorized(reason: TokenFailure): Response {
  if (reason === "missing") {
    return json(401, { error: "a bearer token is required: run 'hookgate token --scope read'" }, {
      "www-authenticate": REALM,
    });
  }
  const description = FAILURE_TEXT[reason];
  return json(401, { error: description }, {
    "www-authenticate": `${REALM}, error="invalid_token", error_description="${description}"`,
  });
}

/** Via `stringifyRedacted`: redact the tree, serialize, redact the text again. */
function redactedJson(body: unknown, redactor: Redactor, status = 200): Response {
  return new Response(stringifyRedacted(redactor, body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers },
  });
}

/**
 * The contract every backend (SQLite, Deno KV, Redis) keeps. The same contract tests run
 * against each (tests/support/event_store_contract.ts), so a backend cannot drift.
 *
 * Push (`consume`) and pull (`lease` + `settle`) keep ONE at-least-once contract:
 * a leased event whose lease runs out without being settled is handed out again;
 * a settled-done event never is.
 */

/** An event that passed gates 1 and 2 and is about to be claimed. */
export interface IncomingEvent {
  /** The route's replay namespace (route name, e.g. "webhook"). */
  route: string;
  /** The event key within the route: `id:<id>` or `sha256:<hex of signed content>`. */
  key: string;
  /**
   * Further keys claimed in the same atomic commit as `key`, for `retentionMs` from
   * `receivedAtMs` (a scheme whose signature covers neither a timestamp nor an id
   * claims the digest of the signed body here as well as its delivery id). The event
   * is a duplicate if `key` is claimed or any of these is held as an alias by an
   * earlier event of the route; a duplicate claims nothing.
   */
  aliasKeys?: string[];
  /** The id the sender gave (body or header), if any. */
  id: string | null;
  /** The raw body bytes, exactly as received. */
  payload: Uint8Array;
  receivedAtMs: number;
  /** How long the claim is kept (at least 2 x tolerance). */
  retentionMs: number;
}

export type AcceptOutcome = "accepted" | "duplicate";

export type EventStatus = "pending" | "done" | "dead";

export interface StoredEvent {
  route: string;
  key: string;
  id: string | null;
  payload: Uint8Array;
  receivedAtMs: number;
  /** Hand-offs started so far (1 during the first). */
  attempt: number;
  status: EventStatus;
  lastError: string | null;
  /** When the event last changed state, if the backend records it. */
  updatedAtMs?: number;
  /** A pending event is not handed out before this instant (retry backoff, a running lease). */
  nextAttemptAtMs?: number;
  /**
   * The payload's size, set when a listing left the payload out (`payload` is then empty):
   * use `payloadSize()`.
   */
  payloadBytes?: number;
}

/** How many bytes an event's payload has, whether or not the listing brought it. */
export function payloadSize(event: StoredEvent): number {
  return event.payloadBytes ?? event.payload.byteLength;
}

export type HandlerOutcome = { ok: true } | { ok: false; error: string };

/** What a push handler gets beside its event. */
export interface HandlerContext {
  /**
   * Aborts when the consumer stops past its grace: the handler must stop the hand-off
   * at once. Its event stays pending (handed out again on a later start).
   */
  signal: AbortSignal;
}

export type EventHandler = (event: StoredEvent, context: HandlerContext) => Promise<HandlerOutcome>;

export interface RetryPolicy {
  /** After this many failed attempts the event becomes a dead letter. */
  maxAttempts: number;
  /** Delay before attempt `attempt + 1` after attempt `attempt` failed. */
  retryDelayMs(attempt: number): number;
}

export interface ConsumeOptions extends RetryPolicy {
  /** Stops the consumer: no new hand-offs start; running ones get `graceMs`. */
  signal: AbortSignal;
  /** How many handlers run at once. */
  concurrency: number;
  /**
   * How long running handlers may finish after `signal` aborts before their own
   * signal aborts (default: no limit). consume() returns when they have finished.
   */
  graceMs?: number;
}

/** One consumer's hold on a pending event until `expiresAtMs`. */
export interface Lease {
  /** event.attempt already counts this hand-off. */
  event: StoredEvent;
  /** Opaque, unique per hand-off. */
  leaseId: string;
  expiresAtMs: number;
}

export interface LeaseOptions {
  /** Only events of this route. */
  route?: string;
  /** Visibility timeout: unsettled after this long, the event is handed out again. */
  leaseMs: number;
  /** Long-poll: wait up to this long for an event (0: answer at once). */
  waitMs: number;
  signal?: AbortSignal;
}

/** What a consumer says of a hand-off. `retry: false` makes a failure dead at once. */
export type Settlement = { ok: true } | { ok: false; error: string; retry?: boolean };

/** lost: the lease had expired or was taken over; nothing was recorded. */
export type SettleResult = "done" | "retrying" | "dead" | "lost";

/** What redeliver() did: revived the event, or found it unknown, or found it pending. */
export type RedeliverResult = "redelivered" | "unknown" | "pending";

export interface ListOptions {
  /** Only events in this state (all states when absent). */
  status?: EventStatus;
  /** Only events of this route. */
  route?: string;
  limit: number;
  /**
   * The caller shows summaries only: a store may leave each payload out (empty, its size in
   * `payloadBytes`), so a live view that lists every second does not read every body.
   */
  withoutPayloads?: boolean;
}

/**
 * Token revocations kept in the store itself, so every instance that shares it sees them
 * (a fleet on one Redis). A store only one machine opens has none: the data dir's own
 * revocation list covers it.
 */
export interface SharedRevocations {
  /** Refuses `tokenId` on every instance for `keepMs` (the longest a token can live). */
  revoke(tokenId: string, keepMs: number): Promise<void>;
  isRevoked(tokenId: string): Promise<boolean>;
}

export interface EventStore {
  /** Present on a store several instances share; absent on a local one. */
  readonly revocations?: SharedRevocations;
  /**
   * True on a store whose claims this process may answer replays from without asking it:
   * a local store, which does so itself from its claim cache. Absent on a shared one (Redis):
   * while it is unreachable every delivery is answered 503, replays included, so a sender
   * retries until the store can say what it holds.
   */
  readonly replaysFromMemory?: boolean;
  /**
   * Gate 3: claims `route`+`key` (and its `aliasKeys`) and records the event in the
   * inbox in ONE atomic, durable commit. Resolves only after the commit is durable.
   */
  accept(event: IncomingEvent): Promise<AcceptOutcome>;
  /**
   * Push: hands each pending event to `handler`, at least once, until options.signal
   * aborts. The handler's own signal aborts when the consumer stops past its grace:
   * it must stop the hand-off at once; its event stays pending.
   */
  consume(handler: EventHandler, options: ConsumeOptions): Promise<void>;
  /** Pull: leases the next pending event that is due, or null when none came within waitMs. */
  lease(options: LeaseOptions): Promise<Lease | null>;
  /** Ends a lease with the consumer's verdict, using the same retry policy as `--exec`. */
  settle(
    lease: { route: string; key: string; leaseId: string },
    settlement: Settlement,
    policy: RetryPolicy,
  ): Promise<SettleResult>;
  /** Newest first. */
  list(options: ListOptions): Promise<StoredEvent[]>;
  get(route: string, key: string): Promise<StoredEvent | null>;
  /**
   * Makes a done or dead event pending again (attempts start over). A pending event is left
   * alone: it may be held by a lease, and must not go to a second consumer.
   */
  redeliver(route: string, key: string): Promise<RedeliverResult>;
  close(): Promise<void>;
}

/**
 * The state a settlement leads to under `policy`: done, a retry (the attempt that
 * failed was not the last), or a dead letter. SQLite, Deno KV and the in-memory test
 * store call it; Redis decides the same inside its SETTLE script (redis/lua.ts).
 */
export function settledStatus(
  attempt: number,
  settlement: Settlement,
  policy: RetryPolicy,
): "done" | "retrying" | "dead" {
  if (settlement.ok) return "done";
  if (settlement.retry === false || attempt >= policy.maxAttempts) return "dead";
  return "retrying";
}

/**
 * A failure after which a store acknowledges nothing until it is opened again (an
 * fdatasync that failed: the kernel may have dropped what it could not write). serve answers
 * 503 to every delivery and /healthz says so, so that a supervisor restarts it.
 */
export class StoreFailedError extends Error {
  override name = "StoreFailedError";
}

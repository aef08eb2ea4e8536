/**
 * The contract every backend (Deno KV, Redis) keeps. The same contract tests run
 * against each (tests/event_store_contract.ts), so a backend cannot drift.
 */

/** An event that passed gates 1 and 2 and is about to be claimed. */
export interface IncomingEvent {
  /** The route's replay namespace (route name, e.g. "webhook"). */
  route: string;
  /** The event key within the route: `id:<id>` or `sha256:<hex of signed content>`. */
  key: string;
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
  /** When the event last changed state (a backend may leave it out). */
  updatedAtMs?: number;
  /** When a pending event is next handed out (a backend may leave it out). */
  nextAttemptAtMs?: number;
}

export type HandlerOutcome = { ok: true } | { ok: false; error: string };

export interface RetryPolicy {
  /** After this many failed attempts the event becomes a dead letter. */
  maxAttempts: number;
  /** Delay before attempt `attempt + 1` after attempt `attempt` failed. */
  retryDelayMs(attempt: number): number;
}

export interface ConsumeOptions extends RetryPolicy {
  signal: AbortSignal;
  /** How many handlers run at once. */
  concurrency: number;
}

/** One consumer's hold on a pending event until `expiresAtMs`. */
export interface Lease {
  event: StoredEvent;
  leaseId: string;
  expiresAtMs: number;
}

export interface LeaseOptions {
  route?: string;
  leaseMs: number;
  waitMs: number;
  signal?: AbortSignal;
}

export type Settlement = { ok: true } | { ok: false; error: string; retry?: boolean };

export type SettleResult = "done" | "retrying" | "dead" | "lost";

export interface EventStore {
  /**
   * Gate 3: claims `route`+`key` and records the event in the inbox in ONE
   * atomic, durable commit. Resolves only after the commit is durable.
   */
  accept(event: IncomingEvent): Promise<AcceptOutcome>;
  /** Hands each pending event to `handler`, at least once, until the signal aborts. */
  consume(
    handler: (event: StoredEvent, context: { signal: AbortSignal }) => Promise<HandlerOutcome>,
    options: ConsumeOptions,
  ): Promise<void>;
  lease(options: LeaseOptions): Promise<Lease | null>;
  settle(
    lease: { route: string; key: string; leaseId: string },
    settlement: Settlement,
    policy: RetryPolicy,
  ): Promise<SettleResult>;
  list(options: { status?: EventStatus; route?: string; limit: number }): Promise<StoredEvent[]>;
  get(route: string, key: string): Promise<StoredEvent | null>;
  /** Makes a done or dead event pending again (attempts start over). False if unknown. */
  redeliver(route: string, key: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The contract every backend (Deno KV, Redis) keeps. The same contract tests run
 * against each (tests/support/event_store_contract.ts), so a backend cannot drift.
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
}

export type HandlerOutcome = { ok: true } | { ok: false; error: string };

export interface ConsumeOptions {
  signal: AbortSignal;
  /** After this many failed attempts the event becomes a dead letter. */
  maxAttempts: number;
  /** Delay before attempt `attempt + 1` after attempt `attempt` failed. */
  retryDelayMs(attempt: number): number;
  /** How many handlers run at once. */
  concurrency: number;
}

export interface EventStore {
  /**
   * Gate 3: claims `route`+`key` and records the event in the inbox in ONE
   * atomic, durable commit. Resolves only after the commit is durable.
   */
  accept(event: IncomingEvent): Promise<AcceptOutcome>;
  /** Hands each pending event to `handler`, at least once, until the signal aborts. */
  consume(
    handler: (event: StoredEvent) => Promise<HandlerOutcome>,
    options: ConsumeOptions,
  ): Promise<void>;
  list(options: { status: EventStatus; limit: number }): Promise<StoredEvent[]>;
  get(route: string, key: string): Promise<StoredEvent | null>;
  /** Makes a done or dead event pending again (attempts start over). False if unknown. */
  redeliver(route: string, key: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * An in-memory EventStore for tests of what sits on top of the store (the
 * inspection API, the exec hand-off). Not durable, single process; it keeps the
 * interface's observable rules and passes the same contract suite as the real
 * backends: one claim per route+key, leases that run out are handed out again,
 * retries and dead letters, redeliver starts attempts over.
 */
import {
  type AcceptOutcome,
  consumeByLeasing,
  type ConsumeOptions,
  type EventHandler,
  type EventStore,
  type IncomingEvent,
  type Lease,
  type LeaseOptions,
  type ListOptions,
  type RedeliverResult,
  type RetryPolicy,
  settledStatus,
  type Settlement,
  type SettleResult,
  type StoredEvent,
} from "../../lib/store/mod.ts";

interface Entry {
  event: StoredEvent;
  /** Not handed out before this instant (retry backoff, a running lease). */
  dueAtMs: number;
  leaseId: string | null;
  /** Order of arrival, for a stable order among events received in the same millisecond. */
  sequence: number;
}

/** Longer than any handler in a test runs: the push consumer never loses its own lease. */
const PUSH_LEASE_MS = 3_600_000;
const PUSH_WAIT_MS = 200;

export class MemoryEventStore implements EventStore {
  readonly #entries = new Map<string, Entry>();
  /** Alias keys held (route+alias → until when). */
  readonly #aliases = new Map<string, number>();
  readonly #now: () => number;
  #sequence = 0;
  #closed = false;
  /** lease() calls waiting for an event. */
  readonly #waiters = new Set<() => void>();
  /** Every call to `accept`, for assertions. */
  readonly accepted: IncomingEvent[] = [];

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** Puts an event in a given state directly (a dead letter, a done event …). */
  put(event: StoredEvent): void {
    this.#entries.set(entryKey(event.route, event.key), {
      event: { ...event },
      dueAtMs: 0,
      leaseId: null,
      sequence: this.#sequence++,
    });
    this.#wake();
  }

  accept(event: IncomingEvent): Promise<AcceptOutcome> {
    if (this.#closed) return Promise.reject(new Error("event store is closed"));
    this.accepted.push(event);
    const id = entryKey(event.route, event.key);
    if (this.#entries.has(id)) return Promise.resolve("duplicate");
    const aliases = (event.aliasKeys ?? []).map((alias) => entryKey(event.route, alias));
    const nowMs = this.#now();
    if (aliases.some((alias) => (this.#aliases.get(alias) ?? 0) > nowMs)) {
      return Promise.resolve("duplicate");
    }
    for (const alias of aliases) this.#aliases.set(alias, event.receivedAtMs + event.retentionMs);
    this.put({
      route: event.route,
      key: event.key,
      id: event.id,
      payload: event.payload,
      receivedAtMs: event.receivedAtMs,
      attempt: 0,
      status: "pending",
      lastError: null,
    });
    return Promise.resolve("accepted");
  }

  consume(handler: EventHandler, options: ConsumeOptions): Promise<void> {
    return consumeByLeasing(this, handler, options, {
      leaseMs: PUSH_LEASE_MS,
      waitMs: PUSH_WAIT_MS,
    });
  }

  async lease(options: LeaseOptions): Promise<Lease | null> {
    const deadline = Date.now() + Math.max(0, options.waitMs);
    for (;;) {
      if (this.#closed || options.signal?.aborted) return null;
      const nowMs = this.#now();
      const due = [...this.#entries.values()]
        .filter((entry) =>
          entry.event.status === "pending" && entry.dueAtMs <= nowMs &&
          (options.route === undefined || entry.event.route === options.route)
        )
        .sort((a, b) => a.dueAtMs - b.dueAtMs || a.sequence - b.sequence)[0];
      if (due !== undefined) {
        const leaseId = crypto.randomUUID();
        const expiresAtMs = nowMs + options.leaseMs;
        due.leaseId = leaseId;
        due.dueAtMs = expiresAtMs;
        due.event.attempt += 1;
        due.event.updatedAtMs = nowMs;
        due.event.nextAttemptAtMs = expiresAtMs;
        return { event: copy(due.event), leaseId, expiresAtMs };
      }
      const leftMs = deadline - Date.now();
      if (leftMs <= 0) return null;
      await this.#waitForChange(Math.min(leftMs, 25), options.signal);
    }
  }

  settle(
    lease: { route: string; key: string; leaseId: string },
    settlement: Settlement,
    policy: RetryPolicy,
  ): Promise<SettleResult> {
    const entry = this.#entries.get(entryKey(lease.route, lease.key));
    const nowMs = this.#now();
    if (
      entry === undefined || entry.leaseId !== lease.leaseId || entry.event.status !== "pending" ||
      entry.dueAtMs <= nowMs
    ) {
      return Promise.resolve("lost");
    }
    const next = settledStatus(entry.event.attempt, settlement, policy);
    entry.leaseId = null;
    entry.event.updatedAtMs = nowMs;
    entry.event.lastError = settlement.ok ? null : settlement.error;
    if (next === "retrying") {
      entry.dueAtMs = nowMs + policy.retryDelayMs(entry.event.attempt);
      entry.event.nextAttemptAtMs = entry.dueAtMs;
    } else {
      entry.event.status = next;
      delete entry.event.nextAttemptAtMs;
    }
    this.#wake();
    return Promise.resolve(next);
  }

  /** Ends a lease without a verdict: due again at once. */
  release(lease: Lease): Promise<void> {
    const entry = this.#entries.get(entryKey(lease.event.route, lease.event.key));
    if (entry !== undefined && entry.leaseId === lease.leaseId) {
      entry.leaseId = null;
      entry.dueAtMs = this.#now();
      entry.event.nextAttemptAtMs = entry.dueAtMs;
      this.#wake();
    }
    return Promise.resolve();
  }

  list(options: ListOptions): Promise<StoredEvent[]> {
    const events = [...this.#entries.values()]
      .filter((entry) =>
        (options.status === undefined || entry.event.status === options.status) &&
        (options.route === undefined || entry.event.route === options.route)
      )
      .sort((a, b) => b.event.receivedAtMs - a.event.receivedAtMs || b.sequence - a.sequence)
      .slice(0, Math.max(0, options.limit))
      .map((entry) => copy(entry.event))
      // Left out as the SQLite store leaves it out: callers must show the size they are given.
      .map((event) =>
        options.withoutPayloads === true
          ? { ...event, payload: new Uint8Array(), payloadBytes: event.payload.length }
          : event
      );
    return Promise.resolve(events);
  }

  get(route: string, key: string): Promise<StoredEvent | null> {
    const entry = this.#entries.get(entryKey(route, key));
    return Promise.resolve(entry ? copy(entry.event) : null);
  }

  redeliver(route: string, key: string): Promise<RedeliverResult> {
    const entry = this.#entries.get(entryKey(route, key));
    if (!entry) return Promise.resolve("unknown");
    if (entry.event.status === "pending") return Promise.resolve("pending");
    entry.event.status = "pending";
    entry.event.attempt = 0;
    entry.event.lastError = null;
    entry.dueAtMs = 0;
    entry.leaseId = null;
    this.#wake();
    return Promise.resolve("redelivered");
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#wake();
    return Promise.resolve();
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  #waitForChange(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}

function copy(event: StoredEvent): StoredEvent {
  return { ...event };
}

function entryKey(route: string, key: string): string {
  return `${route}\u0000${key}`;
}

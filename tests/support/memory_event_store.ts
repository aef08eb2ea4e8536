/**
 * An in-memory EventStore for tests of what sits on top of the store (the
 * inspection API, the exec hand-off). Not durable, single process; it keeps the
 * interface's observable rules: one claim per route+key, at-least-once
 * consumption with retries and dead letters, redeliver starts attempts over.
 */
import type {
  AcceptOutcome,
  ConsumeOptions,
  EventStatus,
  EventStore,
  HandlerOutcome,
  IncomingEvent,
  StoredEvent,
} from "../../lib/store/mod.ts";

interface Entry {
  event: StoredEvent;
  /** Not handed out before this instant (retry backoff). */
  dueAtMs: number;
  running: boolean;
  /** Bumped by redeliver, so a result of an older run is dropped. */
  generation: number;
}

const POLL_MS = 5;

export class MemoryEventStore implements EventStore {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
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
      running: false,
      generation: 0,
    });
  }

  accept(event: IncomingEvent): Promise<AcceptOutcome> {
    this.accepted.push(event);
    const id = entryKey(event.route, event.key);
    if (this.#entries.has(id)) return Promise.resolve("duplicate");
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

  async consume(
    handler: (event: StoredEvent) => Promise<HandlerOutcome>,
    options: ConsumeOptions,
  ): Promise<void> {
    const running = new Set<Promise<void>>();
    while (!options.signal.aborted) {
      const nowMs = this.#now();
      for (const entry of this.#entries.values()) {
        if (running.size >= options.concurrency) break;
        if (entry.event.status !== "pending" || entry.running || entry.dueAtMs > nowMs) continue;
        const run = this.#run(entry, handler, options).finally(() => running.delete(run));
        running.add(run);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    await Promise.all(running);
  }

  async #run(
    entry: Entry,
    handler: (event: StoredEvent) => Promise<HandlerOutcome>,
    options: ConsumeOptions,
  ): Promise<void> {
    entry.running = true;
    entry.event.attempt += 1;
    const generation = entry.generation;
    let outcome: HandlerOutcome;
    try {
      outcome = await handler({ ...entry.event });
    } catch (error) {
      outcome = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    entry.running = false;
    if (generation !== entry.generation) return;
    if (outcome.ok) {
      entry.event.status = "done";
      entry.event.lastError = null;
    } else if (entry.event.attempt >= options.maxAttempts) {
      entry.event.status = "dead";
      entry.event.lastError = outcome.error;
    } else {
      entry.event.lastError = outcome.error;
      entry.dueAtMs = this.#now() + options.retryDelayMs(entry.event.attempt);
    }
  }

  list(options: { status: EventStatus; limit: number }): Promise<StoredEvent[]> {
    const events = [...this.#entries.values()]
      .map((entry) => entry.event)
      .filter((event) => event.status === options.status)
      .sort((a, b) => a.receivedAtMs - b.receivedAtMs)
      .slice(0, options.limit)
      .map((event) => ({ ...event }));
    return Promise.resolve(events);
  }

  get(route: string, key: string): Promise<StoredEvent | null> {
    const entry = this.#entries.get(entryKey(route, key));
    return Promise.resolve(entry ? { ...entry.event } : null);
  }

  redeliver(route: string, key: string): Promise<boolean> {
    const entry = this.#entries.get(entryKey(route, key));
    if (!entry) return Promise.resolve(false);
    entry.event.status = "pending";
    entry.event.attempt = 0;
    entry.dueAtMs = 0;
    entry.generation += 1;
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function entryKey(route: string, key: string): string {
  return `${route}\u0000${key}`;
}

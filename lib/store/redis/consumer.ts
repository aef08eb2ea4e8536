/**
 * The push side: leases due events and hands each to the handler, up to `concurrency` at
 * once, keeping each lease alive while its handler runs. On shutdown it takes nothing new,
 * gives running handlers the grace, then aborts their signals; an event whose hand-off was
 * stopped is given back unsettled (due again at once, the stopped attempt not counted).
 */
import type { ConsumeOptions, EventHandler, HandlerOutcome, SettleResult } from "../event_store.ts";
import type { HeldLease } from "./leasing.ts";
import type { Verdict } from "./scripts.ts";
import { errorMessage, sleep, Wakeup } from "../../util/mod.ts";

/** What the consumer needs of the store; every call rejects when Redis cannot be reached. */
export interface ConsumerStore {
  /** The next due event (burying those whose holders kept getting lost), or null after a while. */
  next(maxAttempts: number, signal: AbortSignal): Promise<HeldLease | null>;
  settle(
    lease: HeldLease,
    verdict: Verdict,
    error: string,
    delayMs: number,
    maxAttempts: number,
  ): Promise<SettleResult>;
  extend(lease: HeldLease): Promise<boolean>;
  release(lease: HeldLease): Promise<boolean>;
  /** False once the store is closed: stop retrying. */
  isOpen(): boolean;
}

export interface ConsumerTimings {
  /** How long a lease lasts without being extended (the visibility timeout). */
  leaseMs: number;
  /** How long running handlers may finish after the consumer's signal aborted. */
  graceMs: number;
}

/** How long handlers get to return once their signal aborted, before consume() returns anyway. */
const HANDLER_STOP_MS = 2_000;
const MAX_BACKOFF_MS = 2_000;
const MAX_ERROR_CHARS = 2_000;

interface Running {
  lease: HeldLease;
  done: Promise<void>;
}

export class PushConsumer {
  readonly #store: ConsumerStore;
  readonly #handler: EventHandler;
  readonly #options: ConsumeOptions;
  readonly #timings: ConsumerTimings;
  readonly #stop: AbortSignal;
  /** Aborts when the grace ran out: running handlers must stop. */
  readonly #handlersStop = new AbortController();
  readonly #running = new Map<string, Running>();
  /** Fired when a hand-off ends or the consumer stops (Wakeup's comment says why not a race). */
  readonly #slotFreed: Wakeup;
  #failures = 0;

  constructor(
    store: ConsumerStore,
    handler: EventHandler,
    options: ConsumeOptions,
    timings: ConsumerTimings,
    stop: AbortSignal,
  ) {
    this.#store = store;
    this.#handler = handler;
    this.#options = options;
    this.#timings = timings;
    this.#stop = stop;
    this.#slotFreed = new Wakeup(stop);
  }

  async run(): Promise<void> {
    const heartbeat = setInterval(
      () => this.#extendAll(),
      Math.max(50, Math.floor(this.#timings.leaseMs / 3)),
    );
    try {
      while (!this.#stop.aborted) {
        await this.#slotFree();
        if (this.#stop.aborted) break;
        const lease = await this.#next();
        if (lease !== null) this.#start(lease);
      }
      await this.#windDown();
    } finally {
      clearInterval(heartbeat);
    }
  }

  async #slotFree(): Promise<void> {
    while (this.#running.size >= Math.max(1, this.#options.concurrency) && !this.#stop.aborted) {
      await this.#slotFreed.next();
    }
  }

  /** The next lease, or null (nothing due yet, or Redis away: then after a backoff). */
  async #next(): Promise<HeldLease | null> {
    try {
      const lease = await this.#store.next(this.#options.maxAttempts, this.#stop);
      this.#failures = 0;
      return lease;
    } catch {
      if (this.#stop.aborted) return null;
      this.#failures++;
      // Redis is away: back off; the clients reconnect on their own.
      await sleep(Math.min(MAX_BACKOFF_MS, 50 * 2 ** Math.min(this.#failures, 6)), this.#stop);
      return null;
    }
  }

  #start(lease: HeldLease): void {
    const already = this.#running.get(lease.member);
    if (already !== undefined) {
      // Our own lease ran out while its handler still runs (heartbeats failed during an
      // outage) and came back to us: keep the one handler, holding the newer lease.
      already.lease = lease;
      return;
    }
    const running: Running = { lease, done: Promise.resolve() };
    running.done = this.#handOff(running).catch(() => {}).finally(() => {
      this.#running.delete(lease.member);
      this.#slotFreed.fire();
    });
    this.#running.set(lease.member, running);
  }

  async #handOff(running: Running): Promise<void> {
    let outcome: HandlerOutcome;
    try {
      outcome = await this.#handler(running.lease.event, { signal: this.#handlersStop.signal });
    } catch (error) {
      outcome = { ok: false, error: errorMessage(error) };
    }
    if (this.#handlersStop.signal.aborted && !outcome.ok) {
      // Stopped by the shutdown, not failed: the event stays pending for the next start.
      await this.#store.release(running.lease);
      return;
    }
    await this.#settle(running, outcome);
  }

  /** Records a handler's outcome, retrying while Redis is away (the lease stays ours meanwhile). */
  async #settle(running: Running, outcome: HandlerOutcome): Promise<void> {
    const attempt = running.lease.event.attempt;
    const delayMs = outcome.ok ? 0 : this.#options.retryDelayMs(attempt);
    const error = outcome.ok ? "" : outcome.error.slice(0, MAX_ERROR_CHARS);
    const deadline = Date.now() + this.#timings.leaseMs;
    for (let round = 0;; round++) {
      try {
        await this.#store.settle(
          running.lease,
          outcome.ok ? "ok" : "retry",
          error,
          delayMs,
          this.#options.maxAttempts,
        );
        return;
      } catch (failure) {
        if (!this.#store.isOpen() || Date.now() >= deadline) throw failure;
        await sleep(Math.min(1_000, 50 * 2 ** Math.min(round, 5)));
      }
    }
  }

  #extendAll(): void {
    for (const running of this.#running.values()) {
      this.#store.extend(running.lease).catch(() => {});
    }
  }

  /** Lets running handlers finish within the grace, then stops them. */
  async #windDown(): Promise<void> {
    if (this.#running.size === 0) return;
    const all = () => Promise.all([...this.#running.values()].map((r) => r.done));
    await Promise.race([all(), sleep(this.#timings.graceMs)]);
    if (this.#running.size === 0) return;
    this.#handlersStop.abort();
    await Promise.race([all(), sleep(HANDLER_STOP_MS)]);
  }
}

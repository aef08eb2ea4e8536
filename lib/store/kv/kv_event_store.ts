/**
 * The Deno KV backend (`--store kv:PATH`, the store of earlier versions): a facade over
 * its parts, each named after its concern. The key layout is in layout.ts.
 */
import type {
  AcceptOutcome,
  ConsumeOptions,
  EventHandler,
  EventStore,
  IncomingEvent,
  Lease,
  LeaseOptions,
  ListOptions,
  RedeliverResult,
  RetryPolicy,
  Settlement,
  SettleResult,
  StoredEvent,
} from "../event_store.ts";
import { readPayload } from "./chunks.ts";
import {
  consumeInbox,
  DEFAULT_POLL_MS,
  DEFAULT_PUSH_LEASE_MS,
  type InboxStoreOptions,
} from "../push_consumer.ts";
import { GroupCommit } from "./group_commit.ts";
import { consumeWithHousekeeping, WorkInFlight } from "../background_work.ts";
import { InboxSignal, pollInbox } from "../inbox_signal.ts";
import { BATCH_MAX_EVENTS, storedEvent } from "./layout.ts";
import { Leases } from "./leases.ts";
import { Listing } from "./listing.ts";
import { LockedKv, withLockRetry } from "./locked_kv.ts";
import { MISSING_PAYLOAD } from "./settlement.ts";
import { adoptOlderLayout, sweepChunks } from "./sweep.ts";

export interface KvEventStoreOptions extends InboxStoreOptions {
  /** Upper bound on events per group commit (1 = one commit per request). */
  batchMaxEvents?: number;
  /**
   * Batches committed concurrently (default 1). SQLite applies them one at a
   * time anyway; more in flight made batches smaller.
   */
  commitsInFlight?: number;
}

const SWEEP_INTERVAL_MS = 60_000;

export class KvEventStore implements EventStore {
  readonly replaysFromMemory = true;
  readonly #kv: LockedKv;
  readonly #now: () => number;
  readonly #inbox = new InboxSignal();
  readonly #accepts: GroupCommit;
  readonly #leases: Leases;
  readonly #listing: Listing;
  readonly #leaseMs: number;
  readonly #pollMs: number;
  readonly #onError: (error: unknown) => void;
  /** Aborts every consumer and long-poll when the store closes. */
  readonly #closing = new AbortController();
  /** Work close() waits for: consumers, leases, settlements. */
  readonly #inFlight = new WorkInFlight();

  constructor(kv: Deno.Kv, options: KvEventStoreOptions = {}) {
    this.#kv = new LockedKv(kv);
    this.#now = options.now ?? Date.now;
    this.#leaseMs = options.leaseMs ?? DEFAULT_PUSH_LEASE_MS;
    this.#pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.#onError = options.onError ?? (() => {});
    this.#accepts = new GroupCommit(this.#kv, {
      now: this.#now,
      batchMaxEvents: Math.max(1, Math.min(options.batchMaxEvents ?? 64, BATCH_MAX_EVENTS)),
      commitsInFlight: Math.max(1, options.commitsInFlight ?? 1),
      onAccepted: () => this.#inbox.notify(),
    });
    this.#leases = new Leases(
      this.#kv,
      this.#now,
      (atMs, nowMs) => this.#inbox.notifyAt(atMs, nowMs),
    );
    this.#listing = new Listing(this.#kv, this.#now, () => this.#inbox.notify());
  }

  accept(event: IncomingEvent): Promise<AcceptOutcome> {
    if (this.#closing.signal.aborted) return Promise.reject(new Error("event store is closed"));
    return this.#accepts.accept(event);
  }

  consume(handler: EventHandler, options: ConsumeOptions): Promise<void> {
    if (this.#closing.signal.aborted) return Promise.resolve();
    const signal = AbortSignal.any([options.signal, this.#closing.signal]);
    return this.#track(this.#consume(handler, { ...options, signal }));
  }

  async #consume(handler: EventHandler, options: ConsumeOptions): Promise<void> {
    const housekeeping = async () => {
      try {
        await adoptOlderLayout(this.#kv, this.#now());
        this.#inbox.notify();
        await sweepChunks(this.#kv, this.#now());
      } catch (error) {
        this.#onError(error);
      }
    };
    await consumeWithHousekeeping(
      () =>
        consumeInbox(
          {
            leases: this.#leases,
            load: async (held) => {
              const payload = await readPayload(this.#kv, held.record);
              return payload === null ? null : storedEvent(held.record, payload);
            },
            inbox: this.#inbox,
            attachIntake: (intake) => this.#accepts.attach(intake),
            now: this.#now,
            onError: this.#onError,
          },
          handler,
          options,
          { leaseMs: this.#leaseMs, pollMs: this.#pollMs, batchMaxEvents: BATCH_MAX_EVENTS },
        ),
      housekeeping,
      SWEEP_INTERVAL_MS,
    );
  }

  lease(options: LeaseOptions): Promise<Lease | null> {
    return this.#track(this.#lease(options));
  }

  #lease(options: LeaseOptions): Promise<Lease | null> {
    const signal = options.signal === undefined
      ? this.#closing.signal
      : AbortSignal.any([options.signal, this.#closing.signal]);
    return pollInbox(this.#inbox, async (): Promise<Lease | null | "again"> => {
      const [held] = await this.#leases.leaseDue(1, options.leaseMs, options.route);
      if (held === undefined) return null;
      const payload = await readPayload(this.#kv, held.record);
      if (payload === null) {
        // Its chunks are gone: a dead letter at once, and the next due event is tried.
        const { route, key, leaseId } = held.record;
        await this.#leases.settle(
          { route, key, leaseId },
          { ok: false, error: MISSING_PAYLOAD },
          { maxAttempts: 1, retryDelayMs: () => 0 },
        );
        return "again";
      }
      return {
        event: storedEvent(held.record, payload),
        leaseId: held.record.leaseId,
        expiresAtMs: held.record.leaseExpiresAtMs,
      };
    }, { waitMs: options.waitMs, pollMs: this.#pollMs, signal });
  }

  settle(
    lease: { route: string; key: string; leaseId: string },
    settlement: Settlement,
    policy: RetryPolicy,
  ): Promise<SettleResult> {
    if (this.#closing.signal.aborted) return Promise.reject(new Error("event store is closed"));
    return this.#track(
      this.#leases.settle(lease, settlement, policy).then((result) => {
        if (result === "retrying") this.#inbox.notify();
        return result;
      }),
    );
  }

  list(options: ListOptions): Promise<StoredEvent[]> {
    return this.#listing.list(options);
  }

  get(route: string, key: string): Promise<StoredEvent | null> {
    return this.#listing.get(route, key);
  }

  redeliver(route: string, key: string): Promise<RedeliverResult> {
    return this.#listing.redeliver(route, key);
  }

  /** Deletes payload chunks nobody needs any more; returns how many chunk sets went. */
  sweep(nowMs: number = this.#now()): Promise<number> {
    return sweepChunks(this.#kv, nowMs);
  }

  async close(): Promise<void> {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort();
    // Consumers stop (running handlers finish and record their verdicts) and
    // accepts in flight commit before the file closes.
    await Promise.allSettled([this.#inFlight.settled(), this.#accepts.idle()]);
    await this.#accepts.idle();
    this.#inbox.close();
    this.#kv.close();
  }

  #track<T>(work: Promise<T>): Promise<T> {
    return this.#inFlight.track(work);
  }
}

/** Opens (creating if needed) the KV file at `path`. */
export async function openKvEventStore(
  path: string,
  options: KvEventStoreOptions = {},
): Promise<KvEventStore> {
  const kv = await withLockRetry(() => Deno.openKv(path));
  return new KvEventStore(kv, options);
}

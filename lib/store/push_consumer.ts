/**
 * The push consumer `serve` runs, for a backend with an inbox of leases (Deno KV,
 * SQLite): leases due events in batches, runs the handler on each (at most
 * `concurrency` at once), and settles the verdicts in batches. The batch it leases
 * grows when handlers are fast (many events per commit) and shrinks to the free
 * slots when they are slow (an agent that takes seconds does not sit on a hundred
 * leases). Leases of events still waiting or running are renewed, so a long
 * hand-off is never handed out twice by its own lease running out; after a crash
 * the leases lapse and the events are due again. Events this process accepts while
 * the consumer has room arrive already leased (direct_intake.ts): it scans the
 * inbox only when something may be due there.
 */
import { errorMessage, sleep, Wakeup } from "../util/mod.ts";
import type {
  ConsumeOptions,
  EventHandler,
  RetryPolicy,
  Settlement,
  SettleResult,
  StoredEvent,
} from "./event_store.ts";
import { finishWithin } from "./lease_consumer.ts";
import { DirectIntake } from "./direct_intake.ts";
import type { InboxSignal } from "./inbox_signal.ts";

/** What the consumer needs of a held lease; each backend's own lease carries more. */
export interface HeldLease {
  record: { route: string; key: string; leaseExpiresAtMs: number };
}

export interface HeldSettlement<H extends HeldLease> {
  held: H;
  settlement: Settlement;
  policy: RetryPolicy;
}

/** A backend's leases, in batches: what the push consumer asks of its store. */
export interface LeaseBook<H extends HeldLease> {
  /** Leases up to `limit` due events for `leaseMs`. */
  leaseDue(limit: number, leaseMs: number): Promise<H[]>;
  /** Extends leases still held; returns those renewed (the others were taken over). */
  renew(held: H[], leaseMs: number): Promise<H[]>;
  /** Ends leases without a verdict (due again at once); `unstarted`: the attempt is taken back. */
  release(held: H[], unstarted: boolean): Promise<void>;
  /** Records verdicts of leases this process holds, many per commit. */
  settleHeld(items: HeldSettlement<H>[]): Promise<SettleResult[]>;
}

export interface ConsumerParts<H extends HeldLease> {
  leases: LeaseBook<H>;
  inbox: InboxSignal;
  /** The event a lease holds, payload included; null when its payload is gone. */
  load(held: H): Promise<StoredEvent | null>;
  /** Lets this process's accept commits lease events to the consumer; returns the detach. */
  attachIntake(intake: DirectIntake<H>): () => void;
  now: () => number;
  /** Where an error of the store itself goes (the consumer keeps running). */
  onError(error: unknown): void;
}

export interface ConsumerTuning {
  /** Each hand-off's lease: after a crash, its event is due again this long after leasing. */
  leaseMs: number;
  /** How often an idle consumer looks for events written by another process. */
  pollMs: number;
  /** The most events one lease or settle commit takes. */
  batchMaxEvents: number;
}

/** What a store built on this consumer (Deno KV, SQLite) is opened with. */
export interface InboxStoreOptions {
  /** The clock, in milliseconds. */
  now?: () => number;
  /** The push consumer's lease: after a crash, its events are due again this long after. */
  leaseMs?: number;
  /** How often an idle consumer looks for events another process wrote (default 250 ms). */
  pollMs?: number;
  /** Where errors of the store's own background work go (default: dropped). */
  onError?: (error: unknown) => void;
}

/** The push consumer's lease and poll when the store's options do not say. */
export const DEFAULT_PUSH_LEASE_MS = 15_000;
export const DEFAULT_POLL_MS = 250;

/** The error of a hand-off whose payload is gone from the store: retrying cannot help. */
export const MISSING_PAYLOAD = "the event's payload is missing from the store";

/** How long an idle consumer lets new events gather before it leases them. */
const LINGER_MS = 5;
/** Events leased ahead are about this many milliseconds of handler work. */
const PREFETCH_WINDOW_MS = 250;

/**
 * How long a verdict waits for others before they are recorded together. On SQLite every
 * commit rewrites the index pages it touches whole, and the verdicts of a few milliseconds
 * touch the same few (the newest events' end of each index), so one commit for them writes
 * a fraction of what one per handful would; on Deno KV it is fewer, larger atomic writes.
 * A verdict not yet recorded is not lost: after a crash its lease lapses and the event is
 * handed out again, as at-least-once allows.
 */
const SETTLE_GATHER_MS = 5;

/**
 * Settles verdicts in batches: the first waits SETTLE_GATHER_MS for others, and whatever
 * arrives while a batch is being recorded goes into the next.
 */
class SettleBatcher<H extends HeldLease> {
  readonly #leases: LeaseBook<H>;
  readonly #onError: (error: unknown) => void;
  readonly #batchMax: number;
  #queue: { item: HeldSettlement<H>; resolve(result: SettleResult): void }[] = [];
  #running: Promise<void> | null = null;

  constructor(leases: LeaseBook<H>, onError: (error: unknown) => void, batchMax: number) {
    this.#leases = leases;
    this.#onError = onError;
    this.#batchMax = batchMax;
  }

  settle(item: HeldSettlement<H>): Promise<SettleResult> {
    return new Promise((resolve) => {
      this.#queue.push({ item, resolve });
      this.#running ??= new Promise<void>((resolve) => setTimeout(resolve, SETTLE_GATHER_MS))
        .then(() => this.#settleQueued())
        .finally(() => this.#running = null);
    });
  }

  async #settleQueued(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#batchMax);
      let results: SettleResult[];
      try {
        results = await this.#leases.settleHeld(batch.map((entry) => entry.item));
      } catch (error) {
        // Not recorded: the leases lapse and the events are handed out again.
        this.#onError(error);
        results = batch.map(() => "lost");
      }
      batch.forEach((entry, i) => entry.resolve(results[i] ?? "lost"));
    }
  }
}

/** Runs the push consumer until `options.signal` aborts; see EventStore.consume. */
export async function consumeInbox<H extends HeldLease>(
  parts: ConsumerParts<H>,
  handler: EventHandler,
  options: ConsumeOptions,
  tuning: ConsumerTuning,
): Promise<void> {
  const { leases, inbox } = parts;
  const concurrency = Math.max(1, options.concurrency);
  const batchMax = tuning.batchMaxEvents;
  const settler = new SettleBatcher(leases, parts.onError, batchMax);
  /**
   * Verdicts handed back but not yet recorded, at most: past this, no hand-off starts
   * until settling catches up. Handlers faster than the store's commits would otherwise
   * pile their verdicts (each holding its event) up in memory; held back, the backlog
   * stays where it is durable, in the inbox.
   */
  const unrecordedMax = 2 * batchMax;
  const handlers = new AbortController();
  const running = new Set<Promise<void>>();
  /** Leased, not started yet. */
  const prefetched: H[] = [];
  /** Leased and running. */
  const active = new Set<H>();
  let averageMs = 0;
  /** Fired when a run ends, a verdict is recorded, or the consumer stops: a slot may be free. */
  const slotFreed = new Wakeup(options.signal);

  /** Verdicts being recorded: a handler's slot is free once it returned, not once recorded. */
  const recording = new Set<Promise<unknown>>();
  const record = (work: Promise<unknown>) => {
    const tracked = work.catch(parts.onError).finally(() => {
      recording.delete(tracked);
      slotFreed.fire();
    });
    recording.add(tracked);
  };
  const runOne = async (held: H): Promise<void> => {
    active.add(held);
    const started = performance.now();
    try {
      const event = await parts.load(held);
      let outcome: Settlement;
      if (event === null) outcome = { ok: false, error: MISSING_PAYLOAD, retry: false };
      else {
        try {
          outcome = await handler(event, { signal: handlers.signal });
        } catch (error) {
          outcome = { ok: false, error: errorMessage(error) };
        }
      }
      const tookMs = performance.now() - started;
      averageMs = averageMs === 0 ? tookMs : averageMs * 0.9 + tookMs * 0.1;
      // Stopped past the grace: no verdict, the event is due again for the next start.
      if (handlers.signal.aborted) record(leases.release([held], false));
      else record(settler.settle({ held, settlement: outcome, policy: options }));
    } finally {
      active.delete(held);
    }
  };
  const start = (held: H) => {
    const run: Promise<void> = runOne(held).catch(parts.onError).finally(() => {
      running.delete(run);
      slotFreed.fire();
    });
    running.add(run);
  };
  /** Events worth holding ahead of the handlers: about PREFETCH_WINDOW_MS of their work. */
  const ahead = () =>
    averageMs === 0
      ? concurrency
      : Math.min(batchMax, Math.floor((concurrency * PREFETCH_WINDOW_MS) / averageMs));
  const batchSize = (free: number) => Math.max(free, ahead());
  /** Resolves when events arrive through the intake, so a waiting loop starts them. */
  let kick = Promise.withResolvers<void>();
  const intake = new DirectIntake<H>(
    () =>
      options.signal.aborted
        ? 0
        : concurrency + ahead() - prefetched.length - running.size - recording.size,
    (held) => {
      prefetched.push(...held);
      kick.resolve();
    },
    tuning.leaseMs,
  );
  const detachIntake = parts.attachIntake(intake);

  // Renews leases that have used half their time, for events waiting or running.
  const renewing = setInterval(() => {
    const dueSoon = parts.now() + tuning.leaseMs / 2;
    const held = [...prefetched, ...active].filter((h) => h.record.leaseExpiresAtMs <= dueSoon);
    if (held.length === 0) return;
    leases.renew(held, tuning.leaseMs).then((renewed) => {
      const byKey = new Map(renewed.map((h) => [`${h.record.route}\u0000${h.record.key}`, h]));
      for (const h of held) {
        const fresh = byKey.get(`${h.record.route}\u0000${h.record.key}`);
        if (fresh) Object.assign(h, fresh);
      }
    }, parts.onError);
  }, Math.max(10, Math.floor(tuning.leaseMs / 4)));

  try {
    // Whether the inbox may hold due events nobody leased: at start, after a notify (an
    // accept without room, a retry, a release, a redelivery) and after each poll (another
    // process's events); not after a scan that found fewer than it asked for.
    let scan = true;
    const busy = () => running.size >= concurrency || recording.size >= unrecordedMax;
    while (!options.signal.aborted) {
      while (prefetched.length > 0 && !busy()) start(prefetched.shift() as H);
      if (busy()) {
        await slotFreed.next();
        continue;
      }
      const woken = inbox.next();
      if (scan) {
        const wanted = batchSize(concurrency - running.size);
        let held: H[] = [];
        try {
          held = await leases.leaseDue(wanted, tuning.leaseMs);
        } catch (error) {
          parts.onError(error);
        }
        scan = held.length >= wanted;
        if (held.length > 0) {
          woken.cancel();
          prefetched.push(...held);
          continue;
        }
      }
      if (prefetched.length > 0) {
        woken.cancel();
        continue;
      }
      const reason = await woken.wait(tuning.pollMs, options.signal, kick.promise);
      kick = Promise.withResolvers<void>();
      if (reason === "kicked") continue;
      scan = true;
      // A moment more, so events accepted in the next few commits go out in one lease batch.
      if (reason === "notified") await sleep(LINGER_MS);
    }
    detachIntake();
    // Commits leasing events to this consumer hand them over before they are released.
    await intake.close();
    // Leased but never started: due again at once, the attempt not counted.
    if (prefetched.length > 0) {
      await leases.release(prefetched.splice(0), true).catch(parts.onError);
    }
    await finishWithin(running, options.graceMs, handlers);
    await Promise.all(recording);
  } finally {
    detachIntake();
    clearInterval(renewing);
  }
}

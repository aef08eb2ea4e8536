/**
 * A push consumer built from a store's pull side: lease one event, run the
 * handler, settle. Used by backends whose leases are cheap one at a time (the
 * in-memory test store); SQLite and Deno KV lease and settle in batches instead
 * (push_consumer.ts), and Redis has its own (redis/consumer.ts).
 */
import { errorMessage, Wakeup } from "../util/mod.ts";
import type {
  ConsumeOptions,
  EventHandler,
  EventStore,
  HandlerOutcome,
  Lease,
} from "./event_store.ts";

export interface LeaseSource extends Pick<EventStore, "lease" | "settle"> {
  /** Ends a lease without a verdict: the event is due again at once, its attempt stays counted. */
  release(lease: Lease): Promise<void>;
}

export interface LeaseConsumerTuning {
  /** Each hand-off's lease; longer than any handler may run. */
  leaseMs: number;
  /** How long one lease() call waits for an event before the loop looks at its signal again. */
  waitMs: number;
}

/** Runs `handler` on leased events until `options.signal` aborts; see EventStore.consume. */
export async function consumeByLeasing(
  source: LeaseSource,
  handler: EventHandler,
  options: ConsumeOptions,
  tuning: LeaseConsumerTuning,
): Promise<void> {
  const running = new Set<Promise<void>>();
  const handlers = new AbortController();
  /** Fired when a run ends or the consumer stops (Wakeup's comment says why not a race). */
  const slotFreed = new Wakeup(options.signal);
  const runOne = async (lease: Lease): Promise<void> => {
    let outcome: HandlerOutcome;
    try {
      outcome = await handler(lease.event, { signal: handlers.signal });
    } catch (error) {
      outcome = { ok: false, error: errorMessage(error) };
    }
    // Stopped past the grace: no verdict, the event stays pending for the next start.
    if (handlers.signal.aborted) await source.release(lease);
    else await source.settle(heldBy(lease), outcome, options);
  };
  while (!options.signal.aborted) {
    if (running.size >= Math.max(1, options.concurrency)) {
      await slotFreed.next();
      continue;
    }
    const lease = await source.lease({
      leaseMs: tuning.leaseMs,
      waitMs: tuning.waitMs,
      signal: options.signal,
    });
    if (lease === null) continue;
    const run: Promise<void> = runOne(lease).catch(() => {}).finally(() => {
      running.delete(run);
      slotFreed.fire();
    });
    running.add(run);
  }
  await finishWithin(running, options.graceMs, handlers);
}

/**
 * Waits for `running` up to `graceMs` (no limit when undefined), then aborts `handlers`
 * and waits for them to return.
 */
export async function finishWithin(
  running: Set<Promise<void>>,
  graceMs: number | undefined,
  handlers: AbortController,
): Promise<void> {
  if (graceMs === undefined) {
    // Every run may finish, verdict included: aborting now would release events that are done.
    while (running.size > 0) await Promise.all(running);
    return;
  }
  if (running.size > 0) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const graceOver = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, graceMs));
    });
    await Promise.race([Promise.all(running), graceOver]);
    clearTimeout(timer);
  }
  handlers.abort();
  await Promise.all(running);
}

/** What settle() needs of a lease. */
export function heldBy(lease: Lease): { route: string; key: string; leaseId: string } {
  return { route: lease.event.route, key: lease.event.key, leaseId: lease.leaseId };
}

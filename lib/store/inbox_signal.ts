/**
 * Wakes this process's consumers when its own accept() (or redeliver, or a
 * released lease) made events due, so they need not poll for them; events
 * written by another process on the same file are found by a slower poll.
 */
export class InboxSignal {
  #waiters = new Set<() => void>();
  /** The one timer for the earliest known future due time (a retry's backoff). */
  #timer: ReturnType<typeof setTimeout> | null = null;
  #timerAtMs = Infinity;

  /** Wakes the consumers at `atMs` (the clock of `nowMs`), or now if that has passed. */
  notifyAt(atMs: number, nowMs: number): void {
    if (atMs <= nowMs) return this.notify();
    if (atMs >= this.#timerAtMs) return;
    this.close();
    this.#timerAtMs = atMs;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#timerAtMs = Infinity;
      this.notify();
    }, atMs - nowMs);
    // A pending retry must not keep a finished process alive.
    Deno.unrefTimer(this.#timer);
  }

  /** Drops the timer of notifyAt(). */
  close(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAtMs = Infinity;
  }

  notify(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  /**
   * A wait that ends at the next notify() after this call, after `ms`, when `signal`
   * aborts, or when `kick` resolves; it says which. Taken before looking at the inbox,
   * so a notify in between is not missed; `cancel` releases it when no longer needed.
   */
  next(): {
    wait(ms: number, signal?: AbortSignal, kick?: Promise<void>): Promise<WakeReason>;
    cancel(): void;
  } {
    let woken = false;
    let wake: (reason: WakeReason) => void = () => {
      woken = true;
    };
    const onNotify = () => wake("notified");
    this.#waiters.add(onNotify);
    return {
      wait: (ms, signal, kick) =>
        new Promise<WakeReason>((resolve) => {
          if (woken || signal?.aborted) {
            this.#waiters.delete(onNotify);
            return resolve(woken ? "notified" : "stopped");
          }
          let ended = false;
          const done = (reason: WakeReason) => {
            if (ended) return;
            ended = true;
            clearTimeout(timer);
            signal?.removeEventListener("abort", stopped);
            this.#waiters.delete(onNotify);
            resolve(reason);
          };
          const stopped = () => done("stopped");
          const timer = setTimeout(() => done("timeout"), Math.max(0, ms));
          signal?.addEventListener("abort", stopped, { once: true });
          kick?.then(() => done("kicked"));
          wake = done;
        }),
      cancel: () => {
        this.#waiters.delete(onNotify);
      },
    };
  }
}

/** Why a wait ended: a notify, its time, the stop signal, or the caller's own kick. */
export type WakeReason = "notified" | "timeout" | "stopped" | "kicked";

/**
 * lease()'s long-poll for a store with an inbox signal: tries `take` until it hands something
 * out, `waitMs` has passed or `signal` aborts. Between tries it waits for this process's
 * signal, or `pollMs` at most (another process's events). `take` answers what it leased,
 * null (nothing due), or "again" (try at once: what it found could not be handed out).
 */
export async function pollInbox<T>(
  inbox: InboxSignal,
  take: () => Promise<T | null | "again">,
  options: { waitMs: number; pollMs: number; signal: AbortSignal },
): Promise<T | null> {
  const deadline = Date.now() + Math.max(0, options.waitMs);
  while (!options.signal.aborted) {
    const woken = inbox.next();
    const taken = await take();
    if (taken === "again") {
      woken.cancel();
      continue;
    }
    if (taken !== null) {
      woken.cancel();
      return taken;
    }
    const leftMs = deadline - Date.now();
    if (leftMs <= 0) {
      woken.cancel();
      break;
    }
    await woken.wait(Math.min(leftMs, options.pollMs), options.signal);
  }
  return null;
}

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
   * A wait that ends at the next notify() after this call, after `ms`, or when
   * `signal` aborts. Taken before looking at the inbox, so a notify in between is
   * not missed; `cancel` releases its timer when the wait is no longer needed.
   */
  next(): { wait(ms: number, signal?: AbortSignal): Promise<void>; cancel(): void } {
    let woken = false;
    let wake: () => void = () => {
      woken = true;
    };
    const onNotify = () => wake();
    this.#waiters.add(onNotify);
    return {
      wait: (ms, signal) =>
        new Promise<void>((resolve) => {
          if (woken || signal?.aborted) {
            this.#waiters.delete(onNotify);
            return resolve();
          }
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", done);
            this.#waiters.delete(onNotify);
            resolve();
          };
          const timer = setTimeout(done, Math.max(0, ms));
          signal?.addEventListener("abort", done, { once: true });
          wake = done;
        }),
      cancel: () => {
        this.#waiters.delete(onNotify);
      },
    };
  }
}

/**
 * Wakes this process's consumers when its own accept() (or redeliver, or a
 * released lease) made events due, so they need not poll for them; events
 * written by another process on the same file are found by a slower poll.
 */
export class InboxSignal {
  #waiters = new Set<() => void>();

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

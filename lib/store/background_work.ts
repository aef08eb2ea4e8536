/**
 * What a local store (Deno KV, SQLite) runs beside its callers: the work close() must wait
 * for, and the housekeeping that runs while serve's consumer does.
 */

/** Promises a store's close() waits for: consumers, long-polls, settlements. */
export class WorkInFlight {
  readonly #work = new Set<Promise<unknown>>();

  /** Returns `work`, remembered until it settles. */
  track<T>(work: Promise<T>): Promise<T> {
    this.#work.add(work);
    work.then(() => this.#work.delete(work), () => this.#work.delete(work));
    return work;
  }

  /** Resolves once everything tracked so far has settled, however it ended. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#work]);
  }
}

/**
 * Runs `consume` with `housekeeping` beside it: at once, then every `everyMs`, never two runs
 * at once. Resolves once `consume` has returned and the housekeeping under way has ended.
 * `housekeeping` reports its own errors.
 */
export async function consumeWithHousekeeping(
  consume: () => Promise<void>,
  housekeeping: () => Promise<void>,
  everyMs: number,
): Promise<void> {
  let running: Promise<void> | null = null;
  const tick = () => {
    running ??= housekeeping().finally(() => running = null);
  };
  tick();
  const timer = setInterval(tick, everyMs);
  try {
    await consume();
  } finally {
    clearInterval(timer);
    await running;
  }
}

/**
 * A wait a loop can take again and again without holding memory: each wait is a fresh
 * promise that the next fire() resolves. `Promise.race([...running, stopped])` with a
 * promise that lives as long as the loop (its stop signal) is the trap this replaces:
 * every race adds a reaction to the long-lived promise that is released only when it
 * settles, so a consumer racing once per event keeps something of every event.
 */
export class Wakeup {
  #waiters: (() => void)[] = [];
  readonly #signal: AbortSignal | undefined;

  /** With `signal`: fires when it aborts, and every wait after that ends at once. */
  constructor(signal?: AbortSignal) {
    this.#signal = signal;
    signal?.addEventListener("abort", () => this.fire(), { once: true });
  }

  /** Resolves at the next fire() after this call. */
  next(): Promise<void> {
    if (this.#signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Resolves every wait taken so far. */
  fire(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}

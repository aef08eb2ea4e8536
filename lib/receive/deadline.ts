/**
 * Bounds how long a promise may take, with one shared timer per timeout instead of a
 * `setTimeout` per call: arming and clearing a timer for every request body is a visible
 * share of what a small request costs, and a forged flood is all small requests.
 *
 * A sweep runs every tenth of the timeout (at least every 5 ms, at most every second)
 * while anything is waiting, so a promise is cut off after the timeout and at most one
 * sweep interval more. The timer keeps the process alive only while something waits
 * (unref'd otherwise), and the first sweep that finds nothing waiting clears it, so an
 * idle process holds no timer for longer than one interval.
 */
export const TIMED_OUT = Symbol("timed out");

/** One promise waiting: the sweep resolves it with the timeout's value once its deadline passed. */
interface Waiting {
  deadlineMs: number;
  resolve(value: unknown): void;
  onTimeout: unknown;
}

class Deadline {
  readonly #timeoutMs: number;
  readonly #sweepMs: number;
  readonly #waiting = new Set<Waiting>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    this.#sweepMs = Math.min(1000, Math.max(5, Math.floor(timeoutMs / 10)));
  }

  // Per call: the answer's promise, one record and the two callbacks on `promise`; it runs
  // for every request body.
  within<T, U>(promise: Promise<T>, onTimeout: U): Promise<T | U> {
    const { promise: answer, resolve, reject } = Promise.withResolvers<T | U>();
    const waiting: Waiting = {
      deadlineMs: performance.now() + this.#timeoutMs,
      resolve: resolve as (value: unknown) => void,
      onTimeout,
    };
    this.#add(waiting);
    promise.then(
      (value) => {
        this.#remove(waiting);
        resolve(value);
      },
      (error) => {
        this.#remove(waiting);
        reject(error);
      },
    );
    return answer;
  }

  #add(waiting: Waiting): void {
    this.#waiting.add(waiting);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#sweep(), this.#sweepMs);
    } else if (this.#waiting.size === 1) {
      Deno.refTimer(this.#timer);
    }
  }

  #remove(waiting: Waiting): void {
    this.#waiting.delete(waiting);
    // Nothing waits: the timer lingers for the next request but keeps no process alive.
    if (this.#waiting.size === 0 && this.#timer !== undefined) Deno.unrefTimer(this.#timer);
  }

  #sweep(): void {
    const nowMs = performance.now(); // monotonic: a clock step does not cut reads off or extend them
    for (const waiting of this.#waiting) {
      if (waiting.deadlineMs > nowMs) continue;
      this.#remove(waiting);
      waiting.resolve(waiting.onTimeout);
    }
    // Kept while requests come and go (re-arming per request is the cost this avoids).
    if (this.#waiting.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}

const deadlines = new Map<number, Deadline>();

/**
 * Resolves to `promise`'s value, or to `onTimeout` (by default `TIMED_OUT`) once `timeoutMs`
 * passed (plus at most one sweep interval). A promise that settles later is left to settle
 * unobserved.
 */
export function within<T>(promise: Promise<T>, timeoutMs: number): Promise<T | typeof TIMED_OUT>;
export function within<T, U>(promise: Promise<T>, timeoutMs: number, onTimeout: U): Promise<T | U>;
export function within<T, U>(
  promise: Promise<T>,
  timeoutMs: number,
  onTimeout: U | typeof TIMED_OUT = TIMED_OUT,
): Promise<T | U | typeof TIMED_OUT> {
  let deadline = deadlines.get(timeoutMs);
  if (deadline === undefined) {
    deadline = new Deadline(timeoutMs);
    // Timeouts come from configuration: a handful of distinct values per process.
    if (deadlines.size < 64) deadlines.set(timeoutMs, deadline);
  }
  return deadline.within(promise, onTimeout);
}

/**
 * A concurrency limiter: at most `max` tasks run at once; the rest wait their
 * turn in arrival order. `idle()` resolves when nothing runs and nothing waits,
 * so a shutdown can wait on promises instead of polling.
 */
export interface Limiter {
  /** Runs `task` when a slot is free; resolves or rejects as the task does. */
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Tasks running now. */
  readonly running: number;
  /** Tasks waiting for a slot. */
  readonly waiting: number;
  /** Resolves once no task runs or waits (at once if none does). */
  idle(): Promise<void>;
}

export function createLimiter(max: number): Limiter {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`limit must be a positive integer`);
  let running = 0;
  const queue: Array<() => void> = [];
  let idleWaiters: Array<() => void> = [];

  const settle = () => {
    running--;
    const next = queue.shift();
    if (next) {
      running++;
      next();
    } else if (running === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };

  return {
    run<T>(task: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const start = () => {
          let result: Promise<T>;
          try {
            result = task();
          } catch (error) {
            result = Promise.reject(error);
          }
          // The slot is free before the caller hears the outcome, so a caller that
          // starts the next task at once finds it.
          result.then((value) => {
            settle();
            resolve(value);
          }, (error: unknown) => {
            settle();
            reject(error);
          });
        };
        if (running < max) {
          running++;
          start();
        } else {
          queue.push(start);
        }
      });
    },
    get running() {
      return running;
    },
    get waiting() {
      return queue.length;
    },
    idle(): Promise<void> {
      if (running === 0 && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}

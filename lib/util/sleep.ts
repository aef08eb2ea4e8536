/**
 * Resolves after `ms` milliseconds, or at once when `signal` aborts (it never
 * rejects: callers check the signal themselves). The timer is cleared on abort,
 * so an aborted sleep keeps no process alive.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

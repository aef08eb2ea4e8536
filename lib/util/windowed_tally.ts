/**
 * Counts a flood instead of passing it on item by item: within a window of `windowMs` the
 * first `passPerWindow` items are let through, the rest are counted by key, and once the
 * window has ended the counts are reported together. A window opens with the first item
 * after the previous one ended. It is the one mechanism behind the trace's and serve's
 * log's refusal summaries, each with its own window, pass count and report.
 *
 * Cheap on the path it guards: a comparison of the clock per item, a map entry per key
 * per window, and one timer per window that counted anything (never one per item; it
 * does not keep the process alive).
 */

/** Distinct keys a window counts by default; past them, items are only counted as `other`. */
export const DEFAULT_TALLY_MAX_KEYS = 256;

export interface TallyEntry<T> {
  /** The first item counted under this key in the window (as `keep` made it). */
  first: T;
  count: number;
}

export interface WindowedTallyOptions<T> {
  windowMs: number;
  /** Items let through per window before the rest are counted (default 0: all counted). */
  passPerWindow?: number;
  /** Keys counted per window (default 256); further keys add to `other`. */
  maxKeys?: number;
  /** What is kept of a key's first item (default the item itself): a copy, if the caller reuses it. */
  keep?: (item: T) => T;
  /** The clock (ms); `Date.now` by default. */
  now?: () => number;
  /**
   * Called once a window that counted anything has ended, in first-counted order of the
   * keys. The map is cleared when this returns: read it, do not keep it.
   */
  report(entries: ReadonlyMap<string, TallyEntry<T>>, other: number): void;
}

export interface WindowedTally<T> {
  /** Counts one item under `key` for this window's report. */
  count(key: string, item: T): void;
  /**
   * True when this window has room left to let one more through (and takes it); otherwise
   * counts the item under `key` for this window's report, and answers false.
   */
  passOrCount(key: string, item: T): boolean;
  /** Reports what the current window has counted so far, now (on close). */
  flush(): void;
}

export function windowedTally<T>(options: WindowedTallyOptions<T>): WindowedTally<T> {
  const { windowMs } = options;
  const passPerWindow = options.passPerWindow ?? 0;
  const maxKeys = options.maxKeys ?? DEFAULT_TALLY_MAX_KEYS;
  const now = options.now ?? Date.now;
  const entries = new Map<string, TallyEntry<T>>();
  let other = 0;
  let windowStart = -Infinity;
  let passed = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (entries.size === 0 && other === 0) return;
    try {
      options.report(entries, other);
    } finally {
      entries.clear();
      other = 0;
    }
  };

  /** Reports a window that has ended and opens the next; returns the time. */
  const rotate = (): number => {
    const nowMs = now();
    if (nowMs - windowStart >= windowMs) {
      flush();
      windowStart = nowMs;
      passed = 0;
    }
    return nowMs;
  };

  return {
    count(key, item) {
      tally(key, item, rotate());
    },
    passOrCount(key, item) {
      const nowMs = rotate();
      if (passed < passPerWindow) {
        passed++;
        return true;
      }
      tally(key, item, nowMs);
      return false;
    },
    flush,
  };

  function tally(key: string, item: T, nowMs: number): void {
    const entry = entries.get(key);
    if (entry !== undefined) entry.count++;
    else if (entries.size >= maxKeys) other++;
    else entries.set(key, { first: options.keep ? options.keep(item) : item, count: 1 });
    if (timer === undefined) {
      const pending = setTimeout(flush, Math.max(0, windowStart + windowMs - nowMs));
      Deno.unrefTimer(pending);
      timer = pending;
    }
  }
}

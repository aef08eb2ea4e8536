/**
 * Claims this process has seen committed (route+key → claim expiry). A claim is
 * never removed before it expires, so a hit is a safe "duplicate" without any
 * I/O: a replay flood costs no store round trip.
 *
 * Two generations of half the bound each: claims go into the young map, and when
 * it is full it becomes the old one and the map before it is dropped whole. The
 * newest half of the bound is always held, at most the bound in all, and nothing
 * is ever iterated: a Map used as a queue (drop `keys().next()`, the oldest) makes
 * V8 step over every entry deleted since its last rehash, on every insert.
 */

/**
 * Claims remembered (about 120 bytes each): enough for the last few seconds of
 * a full-speed accept flood, where replays cluster; an older replay costs one KV
 * read instead. A larger map's churn kept old space growing between collections.
 */
const KNOWN_CLAIMS_MAX = 20_000;

export class ClaimCache {
  #young = new Map<string, number>();
  #old = new Map<string, number>();
  readonly #generation: number;

  /** `max`: claims held at most (at least 2); the newest `max / 2` are always held. */
  constructor(max: number = KNOWN_CLAIMS_MAX) {
    this.#generation = Math.max(1, Math.floor(max / 2));
  }

  /** Whether route+key is known to be claimed at `nowMs`. */
  holds(event: { route: string; key: string }, nowMs: number): boolean {
    const id = claimId(event);
    const expiresAtMs = this.#young.get(id) ?? this.#old.get(id);
    return expiresAtMs !== undefined && expiresAtMs > nowMs;
  }

  remember(event: { route: string; key: string }, expiresAtMs: number): void {
    const id = claimId(event);
    // Renewed: it moves to the young map, counted once.
    if (this.#old.size > 0) this.#old.delete(id);
    this.#young.set(id, expiresAtMs);
    if (this.#young.size >= this.#generation) {
      this.#old = this.#young;
      this.#young = new Map();
    }
  }

  /** Claims remembered now. */
  get size(): number {
    return this.#young.size + this.#old.size;
  }
}

/** One string per route+key: the cache's key, and how a batch groups its events by claim. */
export const claimId = (event: { route: string; key: string }) =>
  `${event.route}\u0000${event.key}`;

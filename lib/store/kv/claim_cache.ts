/**
 * Claims this process has seen committed (route+key → claim expiry). A claim is
 * never removed before it expires, so a hit is a safe "duplicate" without any
 * I/O: a replay flood costs no store round trip.
 */

/**
 * Claims remembered (about 120 bytes each): enough for the last few seconds of
 * a full-speed accept flood, where replays cluster; an older replay costs one KV
 * read instead. A larger map's churn kept old space growing between collections.
 */
const KNOWN_CLAIMS_MAX = 20_000;

export class ClaimCache {
  readonly #claims = new Map<string, number>();
  readonly #max: number;

  constructor(max: number = KNOWN_CLAIMS_MAX) {
    this.#max = max;
  }

  /** Whether route+key is known to be claimed at `nowMs`. */
  holds(event: { route: string; key: string }, nowMs: number): boolean {
    const expiresAtMs = this.#claims.get(claimId(event));
    return expiresAtMs !== undefined && expiresAtMs > nowMs;
  }

  remember(event: { route: string; key: string }, expiresAtMs: number): void {
    const id = claimId(event);
    this.#claims.delete(id);
    this.#claims.set(id, expiresAtMs);
    if (this.#claims.size > this.#max) {
      // Map iteration order is insertion order: drop the oldest.
      const oldest = this.#claims.keys().next().value;
      if (oldest !== undefined) this.#claims.delete(oldest);
    }
  }

  /** Claims remembered now. */
  get size(): number {
    return this.#claims.size;
  }
}

/** One string per route+key: the cache's key, and how a batch groups its events by claim. */
export const claimId = (event: { route: string; key: string }) =>
  `${event.route}\u0000${event.key}`;

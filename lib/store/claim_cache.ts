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
  /** Per route, key → claim expiry: a lookup hashes the key as it came, no joined string. */
  #young = new Map<string, Map<string, number>>();
  #old = new Map<string, Map<string, number>>();
  #youngSize = 0;
  #oldSize = 0;
  readonly #generation: number;

  /** `max`: claims held at most (at least 2); the newest `max / 2` are always held. */
  constructor(max: number = KNOWN_CLAIMS_MAX) {
    this.#generation = Math.max(1, Math.floor(max / 2));
  }

  /** Whether route+key is known to be claimed at `nowMs`. */
  holds(event: { route: string; key: string }, nowMs: number): boolean {
    const expiresAtMs = this.#young.get(event.route)?.get(event.key) ??
      this.#old.get(event.route)?.get(event.key);
    return expiresAtMs !== undefined && expiresAtMs > nowMs;
  }

  remember(event: { route: string; key: string }, expiresAtMs: number): void {
    // Renewed: it moves to the young map, counted once.
    if (this.#oldSize > 0 && this.#old.get(event.route)?.delete(event.key)) this.#oldSize--;
    let young = this.#young.get(event.route);
    if (young === undefined) {
      young = new Map();
      this.#young.set(event.route, young);
    }
    const size = young.size;
    young.set(event.key, expiresAtMs);
    this.#youngSize += young.size - size;
    if (this.#youngSize >= this.#generation) {
      this.#old = this.#young;
      this.#oldSize = this.#youngSize;
      this.#young = new Map();
      this.#youngSize = 0;
    }
  }

  /** Claims remembered now. */
  get size(): number {
    return this.#youngSize + this.#oldSize;
  }
}

/** One string per route+key: the cache's key, and how a batch groups its events by claim. */
export const claimId = (event: { route: string; key: string }) =>
  `${event.route}\u0000${event.key}`;

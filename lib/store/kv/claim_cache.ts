/**
 * Claims this process has seen committed (route → key → claim expiry). A claim is
 * never removed before it expires, so a hit is a safe "duplicate" without any
 * I/O: a replay flood costs no store round trip.
 *
 * One map per route, looked up with the event key as it is: a replay is answered
 * without building a combined string (and hashing it) per request.
 */

/**
 * Claims remembered (about 120 bytes each): enough for the last few seconds of
 * a full-speed accept flood, where replays cluster; an older replay costs one KV
 * read instead. A larger map's churn kept old space growing between collections.
 */
export const KNOWN_CLAIMS_MAX = 20_000;

export class ClaimCache {
  readonly #routes = new Map<string, Map<string, number>>();
  readonly #max: number;
  #size = 0;

  constructor(max: number = KNOWN_CLAIMS_MAX) {
    this.#max = max;
  }

  /** Whether route+key is known to be claimed at `nowMs`. */
  holds(event: { route: string; key: string }, nowMs: number): boolean {
    const expiresAtMs = this.#routes.get(event.route)?.get(event.key);
    return expiresAtMs !== undefined && expiresAtMs > nowMs;
  }

  remember(event: { route: string; key: string }, expiresAtMs: number): void {
    let claims = this.#routes.get(event.route);
    if (claims === undefined) {
      claims = new Map();
      this.#routes.set(event.route, claims);
    }
    if (!claims.delete(event.key)) this.#size++;
    claims.set(event.key, expiresAtMs);
    if (this.#size > this.#max) this.#forgetOne(claims);
  }

  /**
   * Map iteration order is insertion order: the route's oldest claim goes, or another
   * route's when this one holds only the claim just remembered (routes are a handful, and
   * a forgotten claim only costs one KV read on its next replay).
   */
  #forgetOne(claims: Map<string, number>): void {
    let from: Map<string, number> | undefined = claims;
    if (claims.size <= 1) {
      from = [...this.#routes.values()].find((other) => other !== claims && other.size > 0);
    }
    const oldest = from?.keys().next().value;
    if (from !== undefined && oldest !== undefined && from.delete(oldest)) this.#size--;
  }

  /** Claims remembered now, across routes. */
  get size(): number {
    return this.#size;
  }
}

/** One string per route+key, for grouping a batch's events by their claim. */
export const claimId = (event: { route: string; key: string }) =>
  `${event.route}\u0000${event.key}`;

/**
 * Claims this process has seen committed (route+key → claim expiry). A claim is
 * never removed before it expires, so a hit is a safe "duplicate" without any
 * I/O: a replay flood costs no store round trip. Bounded, oldest forgotten first
 * (lib/util's TwoGenerationMap): an older replay costs a store read, not a wrong answer.
 */
import { TwoGenerationMap } from "../util/mod.ts";

/**
 * Claims remembered (about 120 bytes each): enough for the last few seconds of
 * a full-speed accept flood, where replays cluster; an older replay costs one KV
 * read instead. A larger map's churn kept old space growing between collections.
 */
const KNOWN_CLAIMS_MAX = 20_000;

export class ClaimCache {
  /** Per route, key → claim expiry. */
  readonly #expiries: TwoGenerationMap<number>;

  /** `max`: claims held at most (at least 2); the newest `max / 2` are always held. */
  constructor(max: number = KNOWN_CLAIMS_MAX) {
    this.#expiries = new TwoGenerationMap(max);
  }

  /** Whether route+key is known to be claimed at `nowMs`. */
  holds(event: { route: string; key: string }, nowMs: number): boolean {
    const expiresAtMs = this.#expiries.get(event.route, event.key);
    return expiresAtMs !== undefined && expiresAtMs > nowMs;
  }

  remember(event: { route: string; key: string }, expiresAtMs: number): void {
    this.#expiries.set(event.route, event.key, expiresAtMs);
  }

  /** Claims remembered now. */
  get size(): number {
    return this.#expiries.size;
  }
}

/** One string per route+key: the cache's key, and how a batch groups its events by claim. */
export const claimId = (event: { route: string; key: string }) =>
  `${event.route}\u0000${event.key}`;

/**
 * Which leases this server handed out, so a client settles by route and key
 * and never sees a lease id. Expired entries are dropped as new ones come in.
 */
import type { Lease } from "./pull_store.ts";

/** Acknowledged events remembered, so that an ack repeated (a host's retry) answers alike. */
const ACKED_REMEMBERED = 1_000;

export class LeaseBook {
  readonly #leases = new Map<string, { leaseId: string; expiresAtMs: number }>();
  /** route+key of events this session acknowledged (done), the newest last. */
  readonly #acked = new Set<string>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  remember(lease: Lease): void {
    const nowMs = this.#now();
    for (const [id, held] of this.#leases) {
      if (held.expiresAtMs < nowMs) this.#leases.delete(id);
    }
    this.#leases.set(bookKey(lease.event.route, lease.event.key), {
      leaseId: lease.leaseId,
      expiresAtMs: lease.expiresAtMs,
    });
  }

  /**
   * The lease id for route+key. An expired one is still returned: the store
   * decides whether it was taken over.
   */
  leaseIdOf(route: string, key: string): string | null {
    return this.#leases.get(bookKey(route, key))?.leaseId ?? null;
  }

  /** A settlement ends the lease, whatever its outcome. */
  forget(route: string, key: string): void {
    this.#leases.delete(bookKey(route, key));
  }

  /** This session acknowledged route+key and it is done. */
  acknowledged(route: string, key: string): void {
    const id = bookKey(route, key);
    this.#acked.delete(id);
    this.#acked.add(id);
    if (this.#acked.size > ACKED_REMEMBERED) {
      this.#acked.delete(this.#acked.values().next().value as string);
    }
  }

  /** Whether this session acknowledged route+key (among the last it did). */
  wasAcknowledged(route: string, key: string): boolean {
    return this.#acked.has(bookKey(route, key));
  }
}

function bookKey(route: string, key: string): string {
  return `${route}\u0000${key}`;
}

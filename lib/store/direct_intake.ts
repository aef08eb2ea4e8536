/**
 * Events accepted by this process go straight to its push consumer when it has
 * room: the accept commit writes their due keys already leased to it, so the
 * consumer neither scans the inbox for them nor commits a lease of its own. The
 * guarantees are those of any lease: the claim, the record and the (leased) due
 * key are one commit before the 200; if the process dies, the lease lapses and
 * the event is due again for whoever scans next. A directly leased event's due
 * key is written at its lease's expiry, not at its receipt, so scans for
 * unleased work (other consumers, this one's own) never read it while it is held.
 *
 * The consumer states its room (how many events it would take ahead of its
 * handlers); a commit reserves up to that many before it is built and hands over
 * what it committed, or nothing when its checks failed.
 */
import type { HeldLease } from "./push_consumer.ts";

export class DirectIntake<H extends HeldLease> {
  readonly #room: () => number;
  readonly #deliver: (held: H[]) => void;
  /** Events of commits in flight that will be handed over. */
  #reserved = 0;
  #open = true;
  #drained: (() => void)[] = [];

  /**
   * `room`: how many more events the consumer takes now; `deliver`: receives them,
   * leased for `leaseMs`.
   */
  constructor(room: () => number, deliver: (held: H[]) => void, readonly leaseMs: number) {
    this.#room = room;
    this.#deliver = deliver;
  }

  /** How many of `wanted` events a commit may lease to the consumer; each ends in take(). */
  reserve(wanted: number): number {
    if (!this.#open) return 0;
    const count = Math.max(0, Math.min(wanted, this.#room() - this.#reserved));
    this.#reserved += count;
    return count;
  }

  /** Ends a reservation of `reserved`: `held` are the events its commit leased (none if it failed). */
  take(held: H[], reserved: number): void {
    this.#reserved -= reserved;
    if (held.length > 0) this.#deliver(held);
    if (this.#reserved === 0) { for (const resolve of this.#drained.splice(0)) resolve(); }
  }

  /** Reserves nothing more; resolves once the commits holding reservations have handed over. */
  close(): Promise<void> {
    this.#open = false;
    if (this.#reserved === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }
}

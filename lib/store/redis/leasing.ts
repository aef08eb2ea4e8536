/** Taking the next due event, waiting for one when none is: shared by pull (lease) and push (consume). */
import type { Lease } from "../event_store.ts";
import type { Bell } from "./bell.ts";
import { decodeEvent } from "./decode.ts";
import { memberOf } from "./keys.ts";
import type { LeaseReply } from "./scripts.ts";

/** A lease as the store keeps it: with the member it belongs to. */
export interface HeldLease extends Lease {
  member: string;
}

export interface LeaseWait {
  /** One lease attempt (rejects when Redis cannot be reached). */
  attempt(leaseId: string): Promise<LeaseReply>;
  bell: Bell;
  /** How long to wait at most. */
  waitMs: number;
  /** Waits are cut into pieces of at most this long, in case a ring was missed (an outage). */
  pollMs: number;
  signal?: AbortSignal | undefined;
}

function leaseOf(reply: LeaseReply & { leased: true }, leaseId: string): HeldLease {
  const event = decodeEvent(reply.fields);
  if (event === null) throw new Error("a leased record is not an event");
  return {
    event,
    leaseId,
    expiresAtMs: reply.expiresAtMs,
    member: memberOf(event.route, event.key),
  };
}

/** The next due event, leased; null when none fell due within `waitMs` or the signal aborted. */
export async function waitForLease(wait: LeaseWait): Promise<HeldLease | null> {
  const until = Date.now() + Math.max(0, wait.waitMs);
  for (;;) {
    if (wait.signal?.aborted) return null;
    const leaseId = crypto.randomUUID();
    const reply = await wait.attempt(leaseId);
    if (reply.leased) return leaseOf(reply, leaseId);
    const left = until - Date.now();
    if (left <= 0) return null;
    const nap = Math.min(left, reply.nextDueInMs ?? Infinity, wait.pollMs);
    await wait.bell.wait(reply.bellId, nap, wait.signal);
  }
}

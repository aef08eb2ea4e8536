/**
 * The inbox: every pending event has one due key, ordered by when it is due,
 * holding its record. A consumer scans the keys that are due, leases a batch in
 * one commit (one write per event: attempt counted, lease id and expiry set, no
 * read of the record), and settles many in one commit. A lease that lapses (its
 * holder was killed, or stopped without a verdict) makes the event due again:
 * at-least-once needs no redelivery machinery beyond the scan.
 */
import type { RetryPolicy, Settlement, SettleResult } from "../event_store.ts";
import type { HeldSettlement as SharedHeldSettlement, LeaseBook } from "../push_consumer.ts";
import { releaseChunks } from "./chunks.ts";
import { commitGroups, dueKey, type EventRecord, leased, putRecord, ROOT } from "./layout.ts";
import type { LockedKv } from "./locked_kv.ts";
import { settledRecord } from "./settlement.ts";

/** A leased record as its due key holds it, with that key's versionstamp. */
export interface Held {
  record: EventRecord & { leaseId: string; dueAtMs: number; leaseExpiresAtMs: number };
  versionstamp: string;
}

export type HeldSettlement = SharedHeldSettlement<Held>;

/** Due keys read per page of a scan. */
const SCAN_PAGE = 200;
/**
 * Due keys one scan reads at most: a route filter or many live leases at the front
 * of the inbox must not turn every poll into a read of the whole backlog.
 */
const SCAN_MAX = 2_000;

/** The lease id carries the due key's time, so settle() finds the key with one read. */
export function leaseIdFor(dueAtMs: number): string {
  return `${dueAtMs}:${crypto.randomUUID()}`;
}

function dueAtOf(leaseId: string): number | null {
  const colon = leaseId.indexOf(":");
  const dueAtMs = Number(leaseId.slice(0, colon));
  return colon > 0 && Number.isFinite(dueAtMs) ? dueAtMs : null;
}

export class Leases implements LeaseBook<Held> {
  readonly #kv: LockedKv;
  readonly #now: () => number;
  readonly #onDue: (atMs: number, nowMs: number) => void;

  /** `onDue`: an event becomes due at `atMs` (released now, or retried later). */
  constructor(kv: LockedKv, now: () => number, onDue: (atMs: number, nowMs: number) => void) {
    this.#kv = kv;
    this.#now = now;
    this.#onDue = onDue;
  }

  /** Leases up to `limit` due events (of `route` only, if given) for `leaseMs`. */
  async leaseDue(limit: number, leaseMs: number, route?: string): Promise<Held[]> {
    const nowMs = this.#now();
    const due = await this.#scanDue(nowMs, limit, route);
    if (due.length === 0) return [];
    const expiresAtMs = nowMs + Math.max(1, leaseMs);
    return await this.#rewrite(due.map((entry) => ({
      entry,
      record: {
        ...entry.value,
        attempt: entry.value.attempt + 1,
        leaseId: leaseIdFor(entry.key[2] as number),
        leaseExpiresAtMs: expiresAtMs,
        updatedAtMs: nowMs,
      },
    })));
  }

  /** Extends leases still held; returns those renewed (the others were taken over). */
  renew(held: Held[], leaseMs: number): Promise<Held[]> {
    const expiresAtMs = this.#now() + Math.max(1, leaseMs);
    return this.#rewrite(held.map((h) => ({
      entry: asEntry(h),
      record: { ...h.record, leaseExpiresAtMs: expiresAtMs },
    })));
  }

  /**
   * Ends leases without a verdict: the events are due again at once. `unstarted`:
   * their handler never ran, so the attempt is taken back.
   */
  async release(held: Held[], unstarted: boolean): Promise<void> {
    if (held.length === 0) return;
    const nowMs = this.#now();
    await this.#rewrite(held.map((h) => ({
      entry: asEntry(h),
      record: {
        ...h.record,
        attempt: unstarted ? Math.max(0, h.record.attempt - 1) : h.record.attempt,
        leaseId: null,
        leaseExpiresAtMs: 0,
        // Leased in its accept commit, the due key stands at the lease's expiry: due now.
        dueAtMs: Math.min(h.record.dueAtMs, nowMs),
      },
    })));
    this.#onDue(0, 0);
  }

  /** Records verdicts of leases this process holds: one commit for many when nothing raced. */
  async settleHeld(items: HeldSettlement[]): Promise<SettleResult[]> {
    const results = new Map<HeldSettlement, SettleResult>();
    const nowMs = this.#now();
    const live = items.filter((item) => {
      if (item.held.record.leaseExpiresAtMs > nowMs) return true;
      results.set(item, "lost");
      return false;
    });
    for (const group of commitGroups(live, (item) => item.held.record)) {
      const settled = group.map((item) =>
        settledRecord(item.held.record, item.settlement, item.policy, nowMs)
      );
      const result = await this.#kv.commit((op) => {
        group.forEach((item, i) => {
          const next = settled[i]?.record as EventRecord;
          op.check(asEntry(item.held));
          putRecord(op, next, item.held.record);
          if (next.status === "done") releaseChunks(op, next, nowMs);
        });
      });
      if (result.ok) {
        group.forEach((item, i) => {
          const one = settled[i] as { result: SettleResult; record: EventRecord };
          results.set(item, one.result);
          if (one.result === "retrying") this.#onDue(one.record.dueAtMs ?? 0, nowMs);
        });
        continue;
      }
      // Some lease was taken over (it lapsed) or the event redelivered: each alone.
      for (const item of group) {
        const { route, key, leaseId } = item.held.record;
        results.set(item, await this.settle({ route, key, leaseId }, item.settlement, item.policy));
      }
    }
    return items.map((item) => results.get(item) ?? "lost");
  }

  /** Records the verdict of lease `leaseId`, if it still holds the event. */
  async settle(
    lease: { route: string; key: string; leaseId: string },
    settlement: Settlement,
    policy: RetryPolicy,
  ): Promise<SettleResult> {
    const dueAtMs = dueAtOf(lease.leaseId);
    if (dueAtMs === null) return "lost";
    const entry = await this.#kv.get<EventRecord>(dueKey(dueAtMs, lease.route, lease.key));
    const nowMs = this.#now();
    const held = entry.value;
    if (held === null || held.leaseId !== lease.leaseId || !leased(held, nowMs)) return "lost";
    const settled = settledRecord(held, settlement, policy, nowMs);
    const result = await this.#kv.commit((op) => {
      op.check(entry);
      putRecord(op, settled.record, held);
      if (settled.record.status === "done") releaseChunks(op, settled.record, nowMs);
    });
    // A failed check: the lease lapsed and was taken over, or the event was redelivered.
    if (!result.ok) return "lost";
    if (settled.result === "retrying") this.#onDue(settled.record.dueAtMs ?? 0, nowMs);
    return settled.result;
  }

  /** Due entries not held by a live lease, oldest first, of `route` if given. */
  async #scanDue(
    nowMs: number,
    limit: number,
    route?: string,
  ): Promise<Deno.KvEntry<EventRecord>[]> {
    const out: Deno.KvEntry<EventRecord>[] = [];
    const end: Deno.KvKey = [ROOT, "due", Math.floor(nowMs) + 1];
    let start: Deno.KvKey | null = null;
    for (let read = 0; out.length < limit && read < SCAN_MAX; read += SCAN_PAGE) {
      const selector: Deno.KvListSelector = start === null
        ? { prefix: [ROOT, "due"], end }
        : { start, end };
      const page: Deno.KvEntry<EventRecord>[] = await this.#kv.list<EventRecord>(selector, {
        limit: SCAN_PAGE,
      });
      for (const entry of page) {
        const record = entry.value;
        if ((entry.key[2] as number) > nowMs || leased(record, nowMs)) continue;
        if (route !== undefined && record.route !== route) continue;
        out.push(entry);
        if (out.length >= limit) break;
      }
      if (page.length < SCAN_PAGE) break;
      // Just after the last key read: the same key with one more (smallest) part.
      start = [...(page[page.length - 1] as Deno.KvEntry<EventRecord>).key, new Uint8Array()];
    }
    return out;
  }

  /**
   * Writes each new value over its checked due entry, in as few commits as the limits
   * allow; when a group's check fails, each is tried alone. Returns those written. A
   * value due at another time moves its due key, and its record with it.
   */
  async #rewrite(
    changes: { entry: Deno.KvEntry<EventRecord>; record: EventRecord }[],
  ): Promise<Held[]> {
    const out: Held[] = [];
    const write = (op: Deno.AtomicOperation, change: (typeof changes)[number]) => {
      op.check(change.entry);
      if (change.record.dueAtMs === change.entry.value.dueAtMs) {
        op.set(change.entry.key, change.record);
      } else putRecord(op, change.record, change.entry.value);
    };
    for (const group of commitGroups(changes, (change) => change.record)) {
      const result = await this.#kv.commit((op) => group.forEach((change) => write(op, change)));
      if (result.ok) {
        for (const change of group) out.push(asHeld(change.record, result.versionstamp));
        continue;
      }
      for (const change of group) {
        const one = await this.#kv.commit((op) => write(op, change));
        if (one.ok) out.push(asHeld(change.record, one.versionstamp));
      }
    }
    return out;
  }
}

export function asHeld(record: EventRecord, versionstamp: string): Held {
  return { record: record as Held["record"], versionstamp };
}

/** The due entry a held lease was written as. */
function asEntry(held: Held): Deno.KvEntry<EventRecord> {
  const { dueAtMs, route, key } = held.record;
  return { key: dueKey(dueAtMs, route, key), value: held.record, versionstamp: held.versionstamp };
}

/**
 * The inbox: every pending event has one due key, ordered by when it may be
 * handed out next. A consumer scans the keys that are due, leases a batch of
 * their events in one commit (attempt counted, due key moved to the lease's
 * expiry), and settles many in one commit. A lease that lapses (its holder was
 * killed, or stopped without a verdict) is simply due again: at-least-once needs
 * no redelivery machinery beyond the scan.
 */
import type { RetryPolicy, Settlement, SettleResult } from "../../event_store.ts";
import { releaseChunks } from "./chunks.ts";
import {
  commitGroups,
  type EventRecord,
  putRecord,
  readChunks,
  recordKey,
  ROOT,
} from "./layout.ts";
import type { LockedKv } from "./locked_kv.ts";
import { heldByLease, settledRecord } from "./settlement.ts";

/** A leased record, with the versionstamp of the commit that leased (or renewed) it. */
export interface Held {
  record: EventRecord & { leaseId: string; dueAtMs: number };
  versionstamp: string;
}

export interface HeldSettlement {
  held: Held;
  settlement: Settlement;
  policy: RetryPolicy;
}

interface DueEntry {
  entry: Deno.KvEntry<number>;
  dueAtMs: number;
  route: string;
  key: string;
}

/** Due keys read per scan when only one route's events are wanted. */
const ROUTE_SCAN_MAX = 1000;

export class Leases {
  readonly #kv: LockedKv;
  readonly #now: () => number;

  constructor(kv: LockedKv, now: () => number) {
    this.#kv = kv;
    this.#now = now;
  }

  /** When the earliest pending event is due (now or later), or null when none is pending. */
  async nextDueAtMs(): Promise<number | null> {
    const [first] = await this.#kv.list<number>({ prefix: [ROOT, "due"] }, { limit: 1 });
    return first === undefined ? null : first.key[2] as number;
  }

  /** Leases up to `limit` due events (of `route` only, if given) for `leaseMs`. */
  async leaseDue(limit: number, leaseMs: number, route?: string): Promise<Held[]> {
    const nowMs = this.#now();
    const due = await this.#scanDue(nowMs, limit, route);
    if (due.length === 0) return [];
    const entries = (await Promise.all(
      readChunks(due).map((chunk) =>
        this.#kv.getMany<EventRecord>(chunk.map((d) => recordKey(d.route, d.key)))
      ),
    )).flat();
    const live: Deno.KvEntry<EventRecord>[] = [];
    const stale: DueEntry[] = [];
    entries.forEach((entry, i) => {
      const d = due[i] as DueEntry;
      const record = entry.value;
      if (record !== null && record.status === "pending" && record.dueAtMs === d.dueAtMs) {
        live.push(entry as Deno.KvEntry<EventRecord>);
      } else {
        stale.push(d);
      }
    });
    if (stale.length > 0) await this.#dropStale(stale);
    const expiresAtMs = nowMs + Math.max(1, leaseMs);
    const leased = live.map((entry) => ({
      entry,
      record: {
        ...entry.value,
        attempt: entry.value.attempt + 1,
        leaseId: crypto.randomUUID(),
        dueAtMs: expiresAtMs,
        updatedAtMs: nowMs,
      },
    }));
    return await this.#commitEach(leased);
  }

  /** Extends leases still held; returns those renewed (the others were taken over). */
  renew(held: Held[], leaseMs: number): Promise<Held[]> {
    const expiresAtMs = this.#now() + Math.max(1, leaseMs);
    return this.#commitEach(held.map((h) => ({
      entry: {
        key: recordKey(h.record.route, h.record.key),
        versionstamp: h.versionstamp,
        value: h.record,
      },
      record: { ...h.record, dueAtMs: expiresAtMs },
    })));
  }

  /**
   * Ends leases without a verdict: the events are due again at once. `unstarted`:
   * their handler never ran, so the attempt is taken back.
   */
  async release(held: Held[], unstarted: boolean): Promise<void> {
    const nowMs = this.#now();
    await this.#commitEach(held.map((h) => ({
      entry: {
        key: recordKey(h.record.route, h.record.key),
        versionstamp: h.versionstamp,
        value: h.record,
      },
      record: {
        ...h.record,
        attempt: unstarted ? Math.max(0, h.record.attempt - 1) : h.record.attempt,
        leaseId: null,
        dueAtMs: nowMs,
      },
    })));
  }

  /** Records verdicts of leases this process holds: one commit for many when nothing raced. */
  async settleHeld(items: HeldSettlement[]): Promise<SettleResult[]> {
    const results = new Map<HeldSettlement, SettleResult>();
    const nowMs = this.#now();
    const live = items.filter((item) => {
      if (item.held.record.dueAtMs > nowMs) return true;
      results.set(item, "lost");
      return false;
    });
    for (const group of commitGroups(live, (item) => item.held.record)) {
      const settled = group.map((item) =>
        settledRecord(item.held.record, item.settlement, item.policy, nowMs)
      );
      const result = await this.#kv.commit((op) => {
        group.forEach((item, i) => {
          const { record } = item.held;
          const next = (settled[i] as { record: EventRecord }).record;
          op.check({
            key: recordKey(record.route, record.key),
            versionstamp: item.held.versionstamp,
          });
          putRecord(op, next, record);
          if (next.status === "done") releaseChunks(op, next, nowMs);
        });
      });
      if (result.ok) {
        group.forEach((item, i) => results.set(item, settled[i]?.result ?? "lost"));
        continue;
      }
      // Some record changed meanwhile (redeliver, a lapsed lease taken over): each alone.
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
    const key = recordKey(lease.route, lease.key);
    for (let round = 0; round < 10; round++) {
      const entry = await this.#kv.get<EventRecord>(key);
      const nowMs = this.#now();
      if (entry.value === null || !heldByLease(entry.value, lease.leaseId, nowMs)) return "lost";
      const previous = entry.value;
      const settled = settledRecord(previous, settlement, policy, nowMs);
      const result = await this.#kv.commit((op) => {
        op.check(entry);
        putRecord(op, settled.record, previous);
        if (settled.record.status === "done") releaseChunks(op, settled.record, nowMs);
      });
      if (result.ok) return settled.result;
    }
    return "lost";
  }

  async #scanDue(nowMs: number, limit: number, route?: string): Promise<DueEntry[]> {
    const entries = await this.#kv.list<number>(
      { prefix: [ROOT, "due"], end: [ROOT, "due", Math.floor(nowMs) + 1] },
      { limit: route === undefined ? limit : ROUTE_SCAN_MAX },
    );
    const out: DueEntry[] = [];
    for (const entry of entries) {
      const [, , dueAtMs, entryRoute, key] = entry.key as [string, string, number, string, string];
      if (dueAtMs > nowMs || (route !== undefined && entryRoute !== route)) continue;
      out.push({ entry, dueAtMs, route: entryRoute, key });
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Due keys whose record moved on (or is gone) are removed, if still unchanged. */
  async #dropStale(stale: DueEntry[]): Promise<void> {
    for (const group of commitGroups(stale, () => ({ payload: null }) as EventRecord)) {
      await this.#kv.commit((op) => {
        for (const d of group) op.check(d.entry).delete(d.entry.key);
      });
    }
  }

  /**
   * Writes each new record over its checked entry, in as few commits as the limits
   * allow; when a group's check fails, each is tried alone. Returns those written.
   */
  async #commitEach(
    changes: { entry: Deno.KvEntry<EventRecord>; record: EventRecord }[],
  ): Promise<Held[]> {
    const out: Held[] = [];
    const write = (op: Deno.AtomicOperation, change: (typeof changes)[number]) => {
      op.check(change.entry);
      putRecord(op, change.record, change.entry.value);
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

function asHeld(record: EventRecord, versionstamp: string): Held {
  return { record: record as Held["record"], versionstamp };
}

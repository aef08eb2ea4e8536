/**
 * The inbox of the SQLite store: leasing due events (many per transaction), renewing,
 * releasing and settling leases. A lease is the row's lease_id with its due_at moved to
 * the lease's end: a lease that lapses (its holder was killed) makes the event due again
 * with nothing else to do, and a verdict is recorded only while its lease is the row's and
 * has not run out (otherwise it is `lost`).
 */
import {
  type RetryPolicy,
  settledStatus,
  type Settlement,
  type SettleResult,
  type StoredEvent,
} from "../event_store.ts";
import type { HeldSettlement, LeaseBook } from "../push_consumer.ts";
import type { SqliteDatabase } from "./database.ts";
import { type EventRow, storedEventOf } from "./schema.ts";

/** A lease this process holds, with its event as the lease handed it out. */
export interface SqliteHeld {
  record: {
    route: string;
    key: string;
    leaseId: string;
    leaseExpiresAtMs: number;
    attempt: number;
    retentionMs: number;
    event: StoredEvent;
  };
}

const SCAN_ALL = "SELECT * FROM event WHERE due_at <= ? ORDER BY due_at LIMIT ?";
const SCAN_ROUTE = "SELECT * FROM event WHERE due_at <= ? AND route = ? ORDER BY due_at LIMIT ?";
const TAKE = "UPDATE event SET attempt = ?, lease_id = ?, due_at = ?, updated_at = ? " +
  "WHERE route = ? AND key = ?";
const OWNED = "WHERE route = ? AND key = ? AND lease_id = ? AND status = 'pending'";
const RENEW = `UPDATE event SET due_at = ? ${OWNED}`;
const RELEASE =
  `UPDATE event SET due_at = ?, lease_id = NULL, attempt = ?, updated_at = ? ${OWNED}`;
/** The lease must still be live (its end, due_at, not passed) for a verdict to count. */
const SETTLE = "UPDATE event SET status = ?, last_error = ?, updated_at = ?, due_at = ?, " +
  `lease_id = NULL, expires_at = ? ${OWNED} AND due_at > ?`;
const HOLDER = "SELECT lease_id, status, attempt, retention_ms, due_at FROM event " +
  "WHERE route = ? AND key = ?";

export class SqliteLeases implements LeaseBook<SqliteHeld> {
  readonly #db: SqliteDatabase;
  readonly #now: () => number;
  readonly #onDue: (atMs: number, nowMs: number) => void;

  /** `onDue`: an event becomes due at `atMs` (released now, or retried later). */
  constructor(db: SqliteDatabase, now: () => number, onDue: (atMs: number, nowMs: number) => void) {
    this.#db = db;
    this.#now = now;
    this.#onDue = onDue;
  }

  leaseDue(limit: number, leaseMs: number, route?: string): Promise<SqliteHeld[]> {
    const nowMs = this.#now();
    const expiresAtMs = nowMs + Math.max(1, leaseMs);
    const held = this.#db.transaction(() => {
      const rows = (route === undefined
        ? this.#db.statement(SCAN_ALL).all(nowMs, limit)
        : this.#db.statement(SCAN_ROUTE).all(nowMs, route, limit)) as unknown as EventRow[];
      const take = this.#db.statement(TAKE);
      return rows.map((row) => {
        const leaseId = crypto.randomUUID();
        const attempt = row.attempt + 1;
        take.run(attempt, leaseId, expiresAtMs, nowMs, row.route, row.key);
        return heldOf(
          { ...row, attempt, lease_id: leaseId, due_at: expiresAtMs, updated_at: nowMs },
          expiresAtMs,
        );
      });
    });
    return Promise.resolve(held);
  }

  renew(held: SqliteHeld[], leaseMs: number): Promise<SqliteHeld[]> {
    const expiresAtMs = this.#now() + Math.max(1, leaseMs);
    const renewed = this.#db.transaction(() => {
      const renew = this.#db.statement(RENEW);
      return held.filter((h) =>
        renew.run(expiresAtMs, h.record.route, h.record.key, h.record.leaseId).changes === 1
      );
    });
    return Promise.resolve(renewed.map((h) => ({
      record: {
        ...h.record,
        leaseExpiresAtMs: expiresAtMs,
        event: { ...h.record.event, nextAttemptAtMs: expiresAtMs },
      },
    })));
  }

  release(held: SqliteHeld[], unstarted: boolean): Promise<void> {
    if (held.length === 0) return Promise.resolve();
    const nowMs = this.#now();
    this.#db.transaction(() => {
      const release = this.#db.statement(RELEASE);
      for (const { record } of held) {
        const attempt = unstarted ? Math.max(0, record.attempt - 1) : record.attempt;
        release.run(nowMs, attempt, nowMs, record.route, record.key, record.leaseId);
      }
    });
    this.#onDue(0, 0);
    return Promise.resolve();
  }

  settleHeld(items: HeldSettlement<SqliteHeld>[]): Promise<SettleResult[]> {
    const nowMs = this.#now();
    const results = this.#db.transaction(() =>
      items.map(({ held, settlement, policy }) =>
        this.#record(held.record, held.record.attempt, held.record.retentionMs, {
          settlement,
          policy,
          nowMs,
        })
      )
    );
    return Promise.resolve(results);
  }

  /** Records the verdict of one lease, held here or by another process. */
  settle(
    lease: { route: string; key: string; leaseId: string },
    settlement: Settlement,
    policy: RetryPolicy,
  ): Promise<SettleResult> {
    const nowMs = this.#now();
    const result = this.#db.transaction(() => {
      const row = this.#db.statement(HOLDER).get(lease.route, lease.key) as
        | Pick<EventRow, "lease_id" | "status" | "attempt" | "retention_ms" | "due_at">
        | undefined;
      if (row === undefined || row.lease_id !== lease.leaseId) return "lost";
      return this.#record(lease, row.attempt, row.retention_ms, { settlement, policy, nowMs });
    });
    return Promise.resolve(result);
  }

  #record(
    lease: { route: string; key: string; leaseId: string },
    attempt: number,
    retentionMs: number,
    verdict: { settlement: Settlement; policy: RetryPolicy; nowMs: number },
  ): SettleResult {
    const { settlement, policy, nowMs } = verdict;
    const status = settledStatus(attempt, settlement, policy);
    const error = settlement.ok ? null : settlement.error;
    const retryAtMs = status === "retrying"
      ? nowMs + Math.max(0, policy.retryDelayMs(attempt))
      : null;
    const changed = this.#db.statement(SETTLE).run(
      status === "retrying" ? "pending" : status,
      error,
      nowMs,
      retryAtMs,
      status === "done" ? nowMs + retentionMs : null,
      lease.route,
      lease.key,
      lease.leaseId,
      nowMs,
    ).changes;
    if (changed !== 1) return "lost";
    if (retryAtMs !== null) this.#onDue(retryAtMs, nowMs);
    return status;
  }
}

/** A leased row as the consumer holds it. */
export function heldOf(row: EventRow, expiresAtMs: number): SqliteHeld {
  return {
    record: {
      route: row.route,
      key: row.key,
      leaseId: row.lease_id as string,
      leaseExpiresAtMs: expiresAtMs,
      attempt: row.attempt,
      retentionMs: row.retention_ms,
      event: storedEventOf(row),
    },
  };
}

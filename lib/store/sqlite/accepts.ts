/**
 * accept() on SQLite: the event's row (which is its claim) and its aliases in one
 * transaction, resolved only once the WAL holding it is on disk (database.ts, `onDisk`),
 * so "accepted" survives a power loss.
 *
 * Group commit, without a timer: an accept() that finds nothing under way commits at once;
 * those that arrive while its fdatasync runs wait, and are committed together (at most
 * BATCH_MAX_EVENTS per transaction) as soon as it ends, under the next fdatasync. A quiet
 * receiver answers after one commit and one fdatasync; a busy one puts what arrived during
 * one fdatasync into the next. The same key twice in a batch is one claim (the second row
 * conflicts: a duplicate). While this process's push consumer has room, the rows are
 * written already leased to it and handed over in memory (direct_intake.ts): it neither
 * scans for them nor leases them in a transaction of its own.
 */
import type { AcceptOutcome, IncomingEvent } from "../event_store.ts";
import { ClaimCache } from "../claim_cache.ts";
import type { DirectIntake } from "../direct_intake.ts";
import type { SqliteDatabase } from "./database.ts";
import { heldOf, type SqliteHeld } from "./leases.ts";
import type { EventRow } from "./schema.ts";

/** Events per accept transaction at most. */
export const BATCH_MAX_EVENTS = 256;

/**
 * A done event's row is taken over only once its claim has run out; a pending or dead
 * one, or a done one still claimed, makes the insert change nothing: a duplicate.
 */
const INSERT = `INSERT INTO event (route, key, id, payload, received_at, claim_until,
  retention_ms, status, attempt, last_error, updated_at, due_at, lease_id, expires_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, NULL, ?, ?, ?, NULL)
  ON CONFLICT (route, key) DO UPDATE SET id = excluded.id, payload = excluded.payload,
    received_at = excluded.received_at, claim_until = excluded.claim_until,
    retention_ms = excluded.retention_ms, status = 'pending', attempt = excluded.attempt,
    last_error = NULL, updated_at = excluded.updated_at, due_at = excluded.due_at,
    lease_id = excluded.lease_id, expires_at = NULL
  WHERE event.status = 'done' AND event.claim_until <= excluded.updated_at`;
const ALIAS_HELD = "SELECT 1 FROM alias WHERE route = ? AND key = ? AND until > ?";
const ALIAS_CLAIM =
  "INSERT INTO alias VALUES (?, ?, ?) ON CONFLICT (route, key) DO UPDATE SET until = excluded.until";

/** A batch's transaction, done; answered once its fdatasync is. */
interface Committed {
  batch: PendingAccept[];
  /**
   * The push consumer's intake it reserved room in, and how much: that reservation is ended
   * there when answered, even if the consumer has detached since.
   */
  intake: DirectIntake<SqliteHeld> | null;
  reserved: number;
  held: SqliteHeld[];
  outcomes: AcceptOutcome[];
  error: unknown;
}

interface PendingAccept {
  event: IncomingEvent;
  resolve(outcome: AcceptOutcome): void;
  reject(error: unknown): void;
}

export class SqliteAccepts {
  readonly #db: SqliteDatabase;
  readonly #now: () => number;
  readonly #onAccepted: () => void;
  #intake: DirectIntake<SqliteHeld> | null = null;
  /** Claims this process saw committed and on disk: a replay of one needs no transaction. */
  readonly #claims = new ClaimCache();
  #queue: PendingAccept[] = [];
  /** Whether commits and their fdatasyncs are under way (until nothing waits), and their end. */
  #committing = false;
  #cycle: Promise<void> = Promise.resolve();

  /** `onAccepted`: a commit made events pending that no consumer holds yet. */
  constructor(db: SqliteDatabase, now: () => number, onAccepted: () => void) {
    this.#db = db;
    this.#now = now;
    this.#onAccepted = onAccepted;
  }

  accept(event: IncomingEvent): Promise<AcceptOutcome> {
    // After a failed fdatasync nothing is acknowledged, a replay of a claim held here neither.
    const failure = this.#db.syncFailure;
    if (failure !== null) return Promise.reject(failure);
    if (this.#claims.holds(event, this.#now())) return Promise.resolve("duplicate");
    return new Promise((resolve, reject) => {
      this.#queue.push({ event, resolve, reject });
      if (!this.#committing) this.#cycle = this.#commitWaiting();
    });
  }

  /** Lets this process's push consumer take events at accept; returns the detach. */
  attach(intake: DirectIntake<SqliteHeld>): () => void {
    this.#intake = intake;
    return () => {
      if (this.#intake === intake) this.#intake = null;
    };
  }

  /** Resolves when every accept() so far is answered (close() waits for it). */
  async idle(): Promise<void> {
    while (this.#committing) await this.#cycle;
  }

  /** Commits what is waiting, then what arrived during its fdatasync, until nothing waits. */
  async #commitWaiting(): Promise<void> {
    this.#committing = true;
    for (;;) {
      const committed: Committed[] = [];
      while (this.#queue.length > 0) {
        committed.push(this.#commit(this.#queue.splice(0, BATCH_MAX_EVENTS)));
      }
      let synced: unknown = null;
      // Nothing is answered or handed over before it is on disk: a duplicate neither, since
      // the event it repeats may be in a commit whose fdatasync is still running. A failed
      // fdatasync, however it fails, answers these callers with an error and ends the cycle.
      try {
        await this.#db.onDisk();
      } catch (error) {
        synced = error ?? new Error("fdatasync failed");
      }
      // Cleared before the last callers are answered: an accept() they make starts anew.
      const more = this.#queue.length > 0;
      if (!more) this.#committing = false;
      for (const done of committed) this.#answer(done, synced);
      if (!more) return;
    }
  }

  /** Runs one batch's transaction; its callers are answered after the fdatasync. */
  #commit(batch: PendingAccept[]): Committed {
    const intake = this.#intake;
    const reserved = intake?.reserve(batch.length) ?? 0;
    const leaseMs = intake?.leaseMs ?? 0;
    const nowMs = this.#now();
    const held: SqliteHeld[] = [];
    try {
      const outcomes = this.#db.transaction(() =>
        batch.map(({ event }): AcceptOutcome => {
          const leased = held.length < reserved;
          const row = this.#claim(event, nowMs, leased ? nowMs + Math.max(1, leaseMs) : null);
          if (row === null) return "duplicate";
          if (leased) held.push(heldOf(row, row.due_at as number));
          return "accepted";
        })
      );
      return { batch, intake, reserved, held, outcomes, error: null };
    } catch (error) {
      return {
        batch,
        intake,
        reserved,
        held: [],
        outcomes: [],
        error: error ?? new Error("commit failed"),
      };
    }
  }

  #answer(done: Committed, syncError: unknown): void {
    const error = done.error ?? syncError;
    if (error !== null) {
      // Not answered "accepted": the sender retries. Rows that did commit are found again
      // (a duplicate), and any leased here lapse and come due.
      done.intake?.take([], done.reserved);
      for (const pending of done.batch) pending.reject(error);
      return;
    }
    done.intake?.take(done.held, done.reserved);
    done.batch.forEach((pending, i) => {
      const outcome = done.outcomes[i] as AcceptOutcome;
      const { event } = pending;
      if (outcome === "accepted") {
        this.#claims.remember(event, event.receivedAtMs + event.retentionMs);
      }
      pending.resolve(outcome);
    });
    const accepted = done.outcomes.filter((outcome) => outcome === "accepted").length;
    if (accepted > done.held.length) this.#onAccepted();
  }

  /** Claims one event (and its aliases) inside the transaction; null when it is a duplicate. */
  #claim(event: IncomingEvent, nowMs: number, leaseEndMs: number | null): EventRow | null {
    const aliases = event.aliasKeys ?? [];
    const aliasHeld = this.#db.statement(ALIAS_HELD);
    if (aliases.some((alias) => aliasHeld.get(event.route, alias, nowMs) !== undefined)) {
      return null;
    }
    const claimUntil = event.receivedAtMs + event.retentionMs;
    const row: EventRow = {
      route: event.route,
      key: event.key,
      id: event.id,
      payload: event.payload,
      received_at: event.receivedAtMs,
      claim_until: claimUntil,
      retention_ms: event.retentionMs,
      status: "pending",
      attempt: leaseEndMs === null ? 0 : 1,
      last_error: null,
      updated_at: nowMs,
      due_at: leaseEndMs ?? nowMs,
      lease_id: leaseEndMs === null ? null : crypto.randomUUID(),
      expires_at: null,
    };
    const inserted = this.#db.statement(INSERT).run(
      row.route,
      row.key,
      row.id,
      row.payload,
      row.received_at,
      row.claim_until,
      row.retention_ms,
      row.attempt,
      row.updated_at,
      row.due_at,
      row.lease_id,
    );
    if (inserted.changes !== 1) return null;
    const aliasClaim = this.#db.statement(ALIAS_CLAIM);
    for (const alias of aliases) aliasClaim.run(event.route, alias, claimUntil);
    return row;
  }
}

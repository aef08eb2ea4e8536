/**
 * The SQLite backend (`--store sqlite:PATH`): one file through node:sqlite, synchronous on
 * the JavaScript thread. Each event is one row, the claim and the inbox entry at once
 * (schema.ts); accepts are group-committed durably (accepts.ts); leases and verdicts go in
 * batches without an fsync of their own (leases.ts, database.ts says why that keeps
 * at-least-once). `serve`'s push consumer is the one the Deno KV store uses
 * (push_consumer.ts).
 */
import type {
  AcceptOutcome,
  ConsumeOptions,
  EventHandler,
  EventStatus,
  EventStore,
  IncomingEvent,
  Lease,
  LeaseOptions,
  ListOptions,
  RedeliverResult,
  RetryPolicy,
  Settlement,
  SettleResult,
  StoredEvent,
} from "../event_store.ts";
import { consumeWithHousekeeping, WorkInFlight } from "../background_work.ts";
import { InboxSignal, pollInbox } from "../inbox_signal.ts";
import {
  consumeInbox,
  DEFAULT_POLL_MS,
  DEFAULT_PUSH_LEASE_MS,
  type InboxStoreOptions,
} from "../push_consumer.ts";
import { BATCH_MAX_EVENTS, SqliteAccepts } from "./accepts.ts";
import { SqliteDatabase } from "./database.ts";
import { SqliteLeases } from "./leases.ts";
import { type EventRow, isLive, prepareLayout, storedEventOf } from "./schema.ts";

export type SqliteEventStoreOptions = InboxStoreOptions;

/**
 * How often serve removes what has expired. Often, in small transactions with a turn of the
 * event loop between them: the file stays near one retention's worth of events, and no
 * sweep holds up the requests behind it.
 */
const SWEEP_INTERVAL_MS = 1_000;
/** Expired rows removed per sweep transaction. */
const SWEEP_BATCH = 500;
const STATUSES: EventStatus[] = ["pending", "done", "dead"];

const GET = "SELECT * FROM event WHERE route = ? AND key = ?";
/** Every column but the payload, which a summary reads only the size of (not its pages). */
const SUMMARY = "route, key, id, x'' AS payload, length(payload) AS payload_bytes, received_at, " +
  "claim_until, retention_ms, status, attempt, last_error, updated_at, due_at, lease_id, expires_at";
/** The newest events of a status (and of a route), whole or as summaries. */
function listSql(columns: string, byRoute: boolean): string {
  return `SELECT ${columns} FROM event WHERE status = ? ${byRoute ? "AND route = ? " : ""}` +
    "AND (expires_at IS NULL OR expires_at > ?) ORDER BY received_at DESC, rowid DESC LIMIT ?";
}
const LIST = listSql("*", false);
const LIST_ROUTE = listSql("*", true);
const LIST_SUMMARIES = listSql(SUMMARY, false);
const LIST_ROUTE_SUMMARIES = listSql(SUMMARY, true);
const REDELIVER = "UPDATE event SET status = 'pending', attempt = 0, last_error = NULL, " +
  "updated_at = ?, due_at = ?, lease_id = NULL, expires_at = NULL WHERE route = ? AND key = ?";
const SWEEP_EVENTS = "DELETE FROM event WHERE rowid IN (SELECT rowid FROM event " +
  "WHERE expires_at <= ? LIMIT ?)";
const SWEEP_ALIASES = "DELETE FROM alias WHERE (route, key) IN (SELECT route, key FROM alias " +
  "WHERE until <= ? LIMIT ?)";

export class SqliteEventStore implements EventStore {
  readonly replaysFromMemory = true;
  readonly #db: SqliteDatabase;
  readonly #now: () => number;
  readonly #inbox = new InboxSignal();
  readonly #accepts: SqliteAccepts;
  readonly #leases: SqliteLeases;
  readonly #leaseMs: number;
  readonly #pollMs: number;
  readonly #onError: (error: unknown) => void;
  /** Aborts every consumer and long-poll when the store closes. */
  readonly #closing = new AbortController();
  /** Work close() waits for: consumers and long-polls. */
  readonly #inFlight = new WorkInFlight();

  constructor(db: SqliteDatabase, options: SqliteEventStoreOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#leaseMs = options.leaseMs ?? DEFAULT_PUSH_LEASE_MS;
    this.#pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.#onError = options.onError ?? (() => {});
    this.#accepts = new SqliteAccepts(db, this.#now, () => this.#inbox.notify());
    this.#leases = new SqliteLeases(
      db,
      this.#now,
      (atMs, nowMs) => this.#inbox.notifyAt(atMs, nowMs),
    );
  }

  accept(event: IncomingEvent): Promise<AcceptOutcome> {
    if (this.#closing.signal.aborted) return Promise.reject(new Error("event store is closed"));
    return this.#accepts.accept(event);
  }

  consume(handler: EventHandler, options: ConsumeOptions): Promise<void> {
    if (this.#closing.signal.aborted) return Promise.resolve();
    const signal = AbortSignal.any([options.signal, this.#closing.signal]);
    return this.#track(this.#consume(handler, { ...options, signal }));
  }

  async #consume(handler: EventHandler, options: ConsumeOptions): Promise<void> {
    // Small transactions with a turn of the event loop between them (see SWEEP_INTERVAL_MS).
    const housekeeping = async () => {
      try {
        while (!options.signal.aborted && this.#sweepStep(this.#now()) === SWEEP_BATCH) {
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
      } catch (error) {
        this.#onError(error);
      }
    };
    await consumeWithHousekeeping(
      () =>
        consumeInbox(
          {
            leases: this.#leases,
            inbox: this.#inbox,
            load: (held) => Promise.resolve(held.record.event),
            attachIntake: (intake) => this.#accepts.attach(intake),
            now: this.#now,
            onError: this.#onError,
          },
          handler,
          options,
          { leaseMs: this.#leaseMs, pollMs: this.#pollMs, batchMaxEvents: BATCH_MAX_EVENTS },
        ),
      housekeeping,
      SWEEP_INTERVAL_MS,
    );
  }

  lease(options: LeaseOptions): Promise<Lease | null> {
    return this.#track(this.#lease(options));
  }

  #lease(options: LeaseOptions): Promise<Lease | null> {
    const signal = options.signal === undefined
      ? this.#closing.signal
      : AbortSignal.any([options.signal, this.#closing.signal]);
    return pollInbox(this.#inbox, async () => {
      const [held] = await this.#leases.leaseDue(1, options.leaseMs, options.route);
      if (held === undefined) return null;
      const { event, leaseId, leaseExpiresAtMs } = held.record;
      return { event, leaseId, expiresAtMs: leaseExpiresAtMs };
    }, { waitMs: options.waitMs, pollMs: this.#pollMs, signal });
  }

  settle(
    lease: { route: string; key: string; leaseId: string },
    settlement: Settlement,
    policy: RetryPolicy,
  ): Promise<SettleResult> {
    if (this.#closing.signal.aborted) return Promise.reject(new Error("event store is closed"));
    return this.#leases.settle(lease, settlement, policy);
  }

  list(options: ListOptions): Promise<StoredEvent[]> {
    const nowMs = this.#now();
    const limit = Math.max(0, options.limit);
    const rows: EventRow[] = [];
    const whole = options.withoutPayloads !== true;
    // One indexed query per status, merged: never a scan of the whole table.
    for (const status of options.status === undefined ? STATUSES : [options.status]) {
      const found = (options.route === undefined
        ? this.#db.statement(whole ? LIST : LIST_SUMMARIES).all(status, nowMs, limit)
        : this.#db.statement(whole ? LIST_ROUTE : LIST_ROUTE_SUMMARIES).all(
          status,
          options.route,
          nowMs,
          limit,
        )) as unknown as EventRow[];
      // One by one: spreading a long result into push() would overflow the stack.
      for (const row of found) {
        rows.push(row);
      }
    }
    rows.sort((a, b) => b.received_at - a.received_at);
    return Promise.resolve(rows.slice(0, limit).map(storedEventOf));
  }

  get(route: string, key: string): Promise<StoredEvent | null> {
    const row = this.#db.statement(GET).get(route, key) as EventRow | undefined;
    return Promise.resolve(
      row === undefined || !isLive(row, this.#now()) ? null : storedEventOf(row),
    );
  }

  async redeliver(route: string, key: string): Promise<RedeliverResult> {
    const nowMs = this.#now();
    const result = this.#db.transaction((): RedeliverResult => {
      const row = this.#db.statement(GET).get(route, key) as EventRow | undefined;
      if (row === undefined || !isLive(row, nowMs)) return "unknown";
      if (row.status === "pending") return "pending";
      this.#db.statement(REDELIVER).run(nowMs, nowMs, route, key);
      return "redelivered";
    });
    if (result === "redelivered") {
      await this.#db.onDisk();
      this.#inbox.notify();
    }
    return result;
  }

  /** Removes done records past their retention and aliases past theirs; returns how many. */
  sweep(nowMs: number = this.#now()): number {
    let removed = 0;
    for (;;) {
      const changes = this.#sweepStep(nowMs);
      removed += changes;
      if (changes < SWEEP_BATCH) return removed;
    }
  }

  /** One bounded transaction of the sweep; returns how many rows went (SWEEP_BATCH: maybe more). */
  #sweepStep(nowMs: number): number {
    return this.#db.transaction(() => {
      const events = Number(this.#db.statement(SWEEP_EVENTS).run(nowMs, SWEEP_BATCH).changes);
      const left = SWEEP_BATCH - events;
      if (left === 0) return events;
      return events + Number(this.#db.statement(SWEEP_ALIASES).run(nowMs, left).changes);
    });
  }

  async close(): Promise<void> {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort();
    // Consumers stop (running handlers finish and record their verdicts) and accepts
    // waiting for their commit are committed before the file closes.
    await this.#inFlight.settled();
    await this.#accepts.idle();
    this.#inbox.close();
    await this.#db.close();
  }

  #track<T>(work: Promise<T>): Promise<T> {
    return this.#inFlight.track(work);
  }
}

/** Opens (creating if needed) the SQLite file at `path`. */
export async function openSqliteEventStore(
  path: string,
  options: SqliteEventStoreOptions = {},
): Promise<SqliteEventStore> {
  await Promise.resolve();
  const db = new SqliteDatabase(path);
  try {
    prepareLayout(db, path);
  } catch (error) {
    await db.close();
    throw error;
  }
  return new SqliteEventStore(db, options);
}

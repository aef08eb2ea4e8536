/*
 * The SQLite store's layout: one row per event, which is also its claim.
 *
 *   event   route, key (primary key), id, payload, received_at, claim_until, retention_ms,
 *           status ('pending' | 'done' | 'dead'), attempt, last_error, updated_at,
 *           due_at     pending only: when it may next be handed out (now, a retry's backoff,
 *                      or the end of the lease that holds it); NULL otherwise
 *           lease_id   the lease that holds it, if any
 *           expires_at done only: when the record goes (retention from the verdict)
 *   alias   route, key, until: a further claim of an event (IncomingEvent.aliasKeys)
 *
 * A pending or dead event is a claim for as long as it exists; a done one until its claim
 * runs out (claim_until), after which the same key is accepted again. Indexes: due events in
 * order (the inbox), events by status and receipt (list()), done records by expiry (the
 * sweep), aliases by expiry. The layout's version is PRAGMA user_version; PRAGMA
 * application_id marks the file as hookgate's (file_kind.ts).
 */
import type { EventStatus, StoredEvent } from "../event_store.ts";
import type { SqliteDatabase } from "./database.ts";
import { APPLICATION_ID, classifyDatabase, readMarks, wrongFileMessage } from "./file_kind.ts";

export const LAYOUT_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS event (
  route TEXT NOT NULL,
  key TEXT NOT NULL,
  id TEXT,
  payload BLOB NOT NULL,
  received_at INTEGER NOT NULL,
  claim_until INTEGER NOT NULL,
  retention_ms INTEGER NOT NULL,
  status TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  last_error TEXT,
  updated_at INTEGER NOT NULL,
  due_at INTEGER,
  lease_id TEXT,
  expires_at INTEGER,
  PRIMARY KEY (route, key)
);
CREATE INDEX IF NOT EXISTS event_due ON event (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS event_listed ON event (status, received_at);
CREATE INDEX IF NOT EXISTS event_expiry ON event (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS alias (
  route TEXT NOT NULL,
  key TEXT NOT NULL,
  until INTEGER NOT NULL,
  PRIMARY KEY (route, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS alias_expiry ON alias (until);
`;

/**
 * Creates the layout in a new file; refuses a file of a newer layout than this program's,
 * and a database that is not a hookgate store (openStore refuses one before it is opened
 * for writing; this holds for any other caller).
 */
export function prepareLayout(db: SqliteDatabase, path: string): void {
  db.transaction(() => {
    const [applicationId, version, tables] = readMarks((sql) => db.statement(sql));
    const wrong = wrongFileMessage(
      path,
      "sqlite",
      classifyDatabase(applicationId, version, tables),
    );
    if (wrong !== null) throw new Error(wrong);
    if (version > LAYOUT_VERSION) {
      throw new Error(
        `the store was written by a newer hookgate (layout ${version}, this one ` +
          `reads ${LAYOUT_VERSION}): upgrade hookgate`,
      );
    }
    db.exec(SCHEMA);
    db.exec(`PRAGMA user_version = ${LAYOUT_VERSION}`);
    db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
  });
}

/** A row of `event` as SELECT * returns it. */
export interface EventRow {
  route: string;
  key: string;
  id: string | null;
  payload: Uint8Array;
  received_at: number;
  claim_until: number;
  retention_ms: number;
  status: EventStatus;
  attempt: number;
  last_error: string | null;
  updated_at: number;
  due_at: number | null;
  lease_id: string | null;
  expires_at: number | null;
  /** Only in a summary listing, whose payload is left empty. */
  payload_bytes?: number;
}

/** Whether a row still counts at `nowMs` (a done record past its expiry is as good as gone). */
export function isLive(row: EventRow, nowMs: number): boolean {
  return row.expires_at === null || row.expires_at > nowMs;
}

export function storedEventOf(row: EventRow): StoredEvent {
  const event: StoredEvent = {
    route: row.route,
    key: row.key,
    id: row.id,
    payload: row.payload,
    receivedAtMs: row.received_at,
    attempt: row.attempt,
    status: row.status,
    lastError: row.last_error,
    updatedAtMs: row.updated_at,
  };
  if (row.status === "pending" && row.due_at !== null) event.nextAttemptAtMs = row.due_at;
  if (row.payload_bytes !== undefined) event.payloadBytes = Number(row.payload_bytes);
  return event;
}

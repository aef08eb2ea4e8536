/**
 * The storage floors the bench measures hookgate's store against: the least each engine
 * must write per durable event, with records and keys shaped like hookgate's and nothing
 * of hookgate's own code. Used by bench/kv_floor.ts (the engines alone, no HTTP) and by
 * bench/durable_floor_server.ts (the engines behind one verify, under the bench's load).
 *
 * - Deno KV, hookgate's engine: `claim` (one check + one set per event, the least any
 *   durable claim writes), `accept` (hookgate's accept commit: check, record, due key) or
 *   `accept + settle` (then the settle commit: check, done record, listed key, due key
 *   deleted — what every event handed off costs the store);
 * - node:sqlite (WAL), accept + settle: one prepared INSERT … ON CONFLICT DO NOTHING (claim
 *   and record) per event in one transaction, then one UPDATE (done) per event in another;
 *   durable as hookgate's SQLite store makes it: `synchronous=NORMAL`, then an fdatasync of
 *   the WAL on the runtime's thread pool before the commit counts (`openSqlite(path, true)`
 *   waits for the fdatasync on this thread instead, as `synchronous=FULL` would);
 * - an append-only file, accept + settle: a line per event and per verdict, one write and
 *   one fdatasync per commit — what an engine of our own could hope for at best.
 *
 * Each `commit()` is durable when it returns, and answers which events it claimed.
 */
import { DatabaseSync } from "node:sqlite";
import { closeSync, fdatasyncSync, openSync, writeSync } from "node:fs";

export type KvVariant = "claim" | "accept" | "accept + settle";

export interface FloorEvent {
  key: string;
  payload: Uint8Array;
}

export interface FloorEngine {
  /** Claims `events` (and, per engine, records and settles them) durably; true: claimed. */
  commit(events: FloorEvent[]): boolean[] | Promise<boolean[]>;
  close(): void;
}

function record(event: FloorEvent, status: string) {
  const nowMs = Date.now();
  return {
    route: "webhook",
    key: event.key,
    id: event.key,
    receivedAtMs: nowMs,
    retentionMs: 86_400_000,
    attempt: status === "pending" ? 0 : 1,
    status,
    lastError: null,
    payload: event.payload,
    blob: null,
    dueAtMs: nowMs,
    updatedAtMs: nowMs,
  };
}

/**
 * Deno KV with hookgate's keys. A commit whose claim check fails (a key already held) is
 * committed again one event at a time, as hookgate's group commit does. `onAcceptMs` gets
 * the wall time of every accept commit.
 */
export async function openDenoKv(
  path: string,
  variant: KvVariant,
  onAcceptMs: (ms: number) => void = () => {},
): Promise<FloorEngine> {
  const kv = await Deno.openKv(path);
  const eventKey = (key: string) => ["hookgate", "event", "webhook", key];
  const commitAll = async (events: FloorEvent[]): Promise<boolean> => {
    const accept = kv.atomic();
    const pending = events.map((event) => record(event, "pending"));
    for (const value of pending) {
      accept.check({ key: eventKey(value.key), versionstamp: null });
      accept.set(eventKey(value.key), value);
      if (variant !== "claim") {
        accept.set(["hookgate", "due", value.dueAtMs, "webhook", value.key], value);
      }
    }
    const startedMs = performance.now();
    const accepted = await accept.commit();
    onAcceptMs(performance.now() - startedMs);
    if (!accepted.ok) return false;
    if (variant !== "accept + settle") return true;
    const settle = kv.atomic();
    for (const value of pending) {
      const done = record(value, "done");
      const expireIn = done.retentionMs;
      settle.check({ key: eventKey(value.key), versionstamp: accepted.versionstamp });
      settle.set(eventKey(value.key), done, { expireIn });
      settle.set(["hookgate", "listed", "done", done.receivedAtMs, "webhook", value.key], 1, {
        expireIn,
      });
      settle.delete(["hookgate", "due", value.dueAtMs, "webhook", value.key]);
    }
    await settle.commit();
    return true;
  };
  return {
    async commit(events) {
      if (await commitAll(events)) return events.map(() => true);
      const claimed: boolean[] = [];
      for (const event of events) claimed.push(await commitAll([event]));
      return claimed;
    },
    close: () => kv.close(),
  };
}

export function openSqlite(path: string, syncOnThisThread = false): FloorEngine {
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=${syncOnThisThread ? "FULL" : "NORMAL"};
    CREATE TABLE IF NOT EXISTS event(route TEXT, key TEXT, id TEXT, payload BLOB,
      received INTEGER, status INTEGER, due INTEGER, lease TEXT, PRIMARY KEY (route, key))
      WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS due ON event(due) WHERE status = 0;`);
  const claim = db.prepare(
    "INSERT INTO event VALUES ('webhook', ?, ?, ?, ?, 0, ?, ?) ON CONFLICT DO NOTHING",
  );
  const done = db.prepare(
    "UPDATE event SET status = 1, due = NULL WHERE route = 'webhook' AND key = ? AND lease = ?",
  );
  const inCommit = <T>(work: () => T): T => {
    db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      db.exec("COMMIT");
      return result;
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
  };
  let wal: Deno.FsFile | null = null;
  return {
    async commit(events) {
      const nowMs = Date.now();
      const claimed = inCommit(() =>
        events.map(({ key, payload }) =>
          claim.run(key, key, payload, nowMs, nowMs, key).changes === 1
        )
      );
      if (!syncOnThisThread) {
        wal ??= Deno.openSync(`${path}-wal`, { read: true });
        await wal.syncData();
      }
      inCommit(() => events.forEach(({ key }, i) => claimed[i] && done.run(key, key)));
      return claimed;
    },
    close: () => {
      wal?.close();
      db.close();
    },
  };
}

/** Claims nothing (an append-only log cannot check one): every event counts as claimed. */
export function openAppendLog(path: string): FloorEngine {
  const fd = openSync(path, "a");
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const append = (lines: string[]) => {
    writeSync(fd, encoder.encode(lines.join("")));
    fdatasyncSync(fd);
  };
  return {
    commit(events) {
      append(
        events.map(({ key, payload }) =>
          `A\twebhook\t${key}\t${Date.now()}\t${decoder.decode(payload)}\n`
        ),
      );
      append(events.map(({ key }) => `D\twebhook\t${key}\t${Date.now()}\n`));
      return events.map(() => true);
    },
    close: () => closeSync(fd),
  };
}

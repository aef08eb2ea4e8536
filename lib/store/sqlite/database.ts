/**
 * One node:sqlite connection with the settings the store relies on.
 *
 * - WAL: readers in other processes (`hookgate events`, `mcp`) never block the writer.
 * - Transactions commit with `synchronous=NORMAL`: the commit is in the WAL (in the kernel's
 *   cache) when it returns, which survives the process being killed but not a power loss.
 * - A commit that must survive a power loss (an accept, a redelivery) then waits for
 *   `onDisk()`: an fdatasync of the WAL file, run on a thread of the runtime's pool while
 *   the JavaScript thread goes on. That is what `synchronous=FULL` does after each commit,
 *   without the JavaScript thread waiting for the disk; one fdatasync covers every commit
 *   made before it started, so the commits of a busy moment share one (group commit).
 * - A lease or a verdict is not waited for: if a power loss undoes it, the event is handed
 *   out again, which at-least-once allows, and the next fdatasync makes it durable anyway
 *   (the WAL is written in order). SQLite syncs the WAL itself before each checkpoint.
 *
 * Calls are synchronous on the JavaScript thread; every transaction is short and bounded.
 * Another process holding the write lock is waited for up to BUSY_TIMEOUT_MS, after which
 * the call throws ("database is locked") and the caller answers 503 or retries later.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { StoreFailedError } from "../event_store.ts";

const BUSY_TIMEOUT_MS = 5_000;
/** The WAL is cut back to this after a checkpoint, so a burst does not leave a large file. */
const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

export class SqliteDatabase {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #walPath: string;
  #wal: Deno.FsFile | null = null;
  /** The fdatasync running now, and the one that starts when it ends. */
  #syncing: Promise<void> | null = null;
  #nextSync: Promise<void> | null = null;
  /** Whether a transaction committed since the last fdatasync started. */
  #dirty = false;
  /**
   * Set by a failed fdatasync. The kernel may have dropped the pages it could not write and
   * report the next fdatasync as a success, so nothing is acknowledged after one: every
   * later onDisk() rejects until the store is opened again (a restart reads what is truly
   * on disk, and the senders' retries are accepted then).
   */
  #syncFailed: StoreFailedError | null = null;
  #open = true;

  /** Throws unless `path` opens as a file in WAL mode: nothing else keeps an accept durable. */
  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    try {
      // First: switching to WAL waits, like every later call, for another process's lock.
      this.#db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS};`);
      this.#walPath = `${walModeFile(this.#db, path)}-wal`;
      this.#db.exec(
        `PRAGMA synchronous = NORMAL;
         PRAGMA journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES};`,
      );
    } catch (error) {
      this.#db.close();
      throw error;
    }
  }

  /** A prepared statement, prepared once per connection. */
  statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  exec(sql: string): void {
    this.#db.exec(sql);
  }

  /** Runs `work` in one write transaction; it is rolled back if `work` throws. */
  transaction<T>(work: () => T): T {
    if (!this.#open) throw new Error("event store is closed");
    const changesBefore = this.#totalChanges();
    // Prepared once: a transaction runs per accept batch, lease batch and verdict batch.
    this.statement("BEGIN IMMEDIATE").run();
    try {
      const result = work();
      this.statement("COMMIT").run();
      // A transaction that changed nothing (a poll that found no due event) wrote nothing.
      if (this.#totalChanges() !== changesBefore) this.#dirty = true;
      return result;
    } catch (error) {
      // After a failed COMMIT SQLite may already have rolled back: nothing more to undo then.
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  #totalChanges(): number {
    return Number((this.statement("SELECT total_changes() AS n").get() as { n: number }).n);
  }

  /** The failed fdatasync that ended acknowledgements, or null while there has been none. */
  get syncFailure(): StoreFailedError | null {
    return this.#syncFailed;
  }

  /**
   * Resolves once every transaction committed before the call is on disk: the fdatasync
   * that starts next (at once, or when the running one ends) covers it. With nothing
   * committed since the running one started, that one is enough.
   */
  onDisk(): Promise<void> {
    if (this.#syncFailed !== null) return Promise.reject(this.#syncFailed);
    if (!this.#dirty) return this.#nextSync ?? this.#syncing ?? Promise.resolve();
    if (this.#syncing === null) return this.#startSync();
    this.#nextSync ??= this.#syncing.catch(() => {}).then(() => {
      this.#nextSync = null;
      return this.#startSync();
    });
    return this.#nextSync;
  }

  #startSync(): Promise<void> {
    try {
      // fsync reaches the file's data whichever descriptor wrote it: SQLite's own, here.
      this.#wal ??= Deno.openSync(this.#walPath, { read: true });
    } catch (error) {
      // Out of descriptors, say: these commits are not known to be on disk, so they are not
      // answered "accepted" (still dirty: the next call tries again).
      return Promise.reject(error);
    }
    this.#dirty = false;
    const sync: Promise<void> = this.#wal.syncData().catch((error) => {
      this.#syncFailed ??= new StoreFailedError(
        `an fdatasync of the event store failed (${error}): what it held may not be on ` +
          "disk, so no event is acknowledged until serve restarts",
      );
      throw this.#syncFailed;
    }).finally(() => {
      if (this.#syncing === sync) this.#syncing = null;
    });
    this.#syncing = sync;
    return sync;
  }

  /** Waits for the fdatasyncs under way, then closes the connection. */
  async close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    await Promise.allSettled([this.#syncing, this.#nextSync]);
    this.#wal?.close();
    this.#statements.clear();
    this.#db.close();
  }
}

/**
 * Switches the connection to WAL and returns the file SQLite actually opened: the link's
 * target when `path` is a symbolic link, which is where SQLite keeps the -wal. Throws for a
 * database that is not a file (`:memory:`, a `file:` URI with mode=memory, "") or that
 * refuses WAL: its commits could not be made durable before an answer.
 */
function walModeFile(db: DatabaseSync, path: string): string {
  const { file } = db.prepare("PRAGMA database_list").get() as { file: string };
  const { journal_mode: mode } = db.prepare("PRAGMA journal_mode = WAL").get() as {
    journal_mode: string;
  };
  if (file === "" || mode !== "wal") {
    throw new Error(
      `the SQLite store '${path}' must be a file on a local disk in WAL mode ` +
        `(it opened as ${file === "" ? "an in-memory database" : `journal mode ${mode}`}): ` +
        "name a file, e.g. sqlite:.hookgate/hookgate.db",
    );
  }
  return file;
}

/**
 * hookgate's own files hold payloads and token state: its data directory is created 0700 and
 * its store files 0600, whatever the umask (a mode given at creation is only ever narrowed by
 * the umask, never widened).
 */

/**
 * Creates `dir` (and missing parents) for its owner only. An existing one that others may
 * read or write is narrowed to 0700: whoever can write the data directory can replace the
 * event store or plant a link where a file will be opened.
 */
export async function makePrivateDir(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const { mode } = await Deno.stat(dir);
  if (mode !== null && (mode & 0o077) !== 0) await Deno.chmod(dir, 0o700);
}

/** The first bytes of every SQLite database file. */
const SQLITE_HEADER = new TextEncoder().encode("SQLite format 3\0");

/**
 * What is at `path`, read without changing it: nothing, an empty file, a SQLite database,
 * or something else (which no command should open as a database, or chmod).
 */
export function sqliteFileState(path: string): "absent" | "empty" | "sqlite" | "not-sqlite" {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "absent";
    throw error;
  }
  try {
    const header = new Uint8Array(SQLITE_HEADER.length);
    let read = 0;
    while (read < header.length) {
      const n = file.readSync(header.subarray(read));
      if (n === null) break;
      read += n;
    }
    if (read === 0) return "empty";
    return header.every((byte, i) => byte === SQLITE_HEADER[i]) ? "sqlite" : "not-sqlite";
  } finally {
    file.close();
  }
}

/** Why a file that is not a SQLite database is not opened as a store. */
export function notSqliteMessage(path: string): string {
  return `${path} is not a SQLite database, so not an event store: name a new file or an ` +
    "existing hookgate store (it was left as it is)";
}

/**
 * Prepares a SQLite file (Deno KV or the SQLite store) at `path` before it is opened: SQLite
 * creates a new database 0644 and gives its -wal and -shm files the database's mode, so the
 * file is created 0600 first; an existing one (and its -wal/-shm, which SQLite keeps beside
 * the file a link points to) is narrowed to 0600. A file that is not empty and not a SQLite
 * database is refused before anything about it changes: it was named by mistake.
 */
export async function preparePrivateDbFile(path: string): Promise<void> {
  if (sqliteFileState(path) === "not-sqlite") throw new Error(notSqliteMessage(path));
  const file = await Deno.open(path, { create: true, write: true, mode: 0o600 });
  file.close();
  const real = await Deno.realPath(path);
  for (const name of [real, `${real}-wal`, `${real}-shm`]) {
    await Deno.chmod(name, 0o600).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
}

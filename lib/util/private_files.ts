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

/**
 * Prepares a SQLite file (Deno KV or the SQLite store) at `path` before it is opened: SQLite creates a new
 * database 0644 and gives its -wal and -shm files the database's mode, so the file is
 * created 0600 first; an existing one (and its -wal/-shm) is narrowed to 0600.
 */
export async function preparePrivateDbFile(path: string): Promise<void> {
  const file = await Deno.open(path, { create: true, write: true, mode: 0o600 });
  file.close();
  for (const name of [path, `${path}-wal`, `${path}-shm`]) {
    await Deno.chmod(name, 0o600).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
}

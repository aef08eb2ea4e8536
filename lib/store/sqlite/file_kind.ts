/**
 * Whose database a file is, found through a read-only connection before anything opens it
 * for writing: switching a file to WAL, narrowing its mode or letting Deno KV add its tables
 * would change another program's database for good, so a store spec that names the wrong
 * file is refused while the file is still as it was.
 *
 * hookgate marks its SQLite stores with PRAGMA application_id. A store made before the mark
 * is known by its layout (version 1, the tables `alias` and `event`) and is marked when it
 * is next opened; a Deno KV file by its own tables.
 */
import { DatabaseSync } from "node:sqlite";
import { notSqliteMessage, sqliteFileState } from "../../util/mod.ts";

/** "hkgt": this file is a hookgate SQLite store. */
export const APPLICATION_ID = 0x686b6774;

export type StoreFileKind =
  /** Absent, empty, or a database without tables: either engine may lay it out. */
  | { kind: "new" }
  | { kind: "not-sqlite" }
  | { kind: "sqlite-store" }
  | { kind: "kv-store" }
  | { kind: "other"; tables: string[] };

/** What a database with this application id, user_version and tables is. */
export function classifyDatabase(
  applicationId: number,
  version: number,
  tables: readonly string[],
): StoreFileKind {
  if (applicationId === APPLICATION_ID) return { kind: "sqlite-store" };
  if (tables.length === 0) return { kind: "new" };
  const sorted = [...tables].sort();
  if (applicationId === 0 && version === 1 && sorted.join(",") === "alias,event") {
    return { kind: "sqlite-store" };
  }
  if (sorted.includes("kv") && sorted.includes("migration_state")) return { kind: "kv-store" };
  return { kind: "other", tables: sorted };
}

/** The kind of the file at `path`, read without changing it. */
export function storeFileKind(path: string): StoreFileKind {
  const state = sqliteFileState(path);
  if (state === "absent" || state === "empty") return { kind: "new" };
  if (state === "not-sqlite") return { kind: "not-sqlite" };
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return classifyDatabase(...readMarks((sql) => db.prepare(sql)));
  } finally {
    db.close();
  }
}

/** A database's application id, user_version and table names. */
export function readMarks(
  query: (sql: string) => { get(): unknown; all(): unknown[] },
): [number, number, string[]] {
  const { application_id: applicationId } = query("PRAGMA application_id").get() as {
    application_id: number;
  };
  const { user_version: version } = query("PRAGMA user_version").get() as {
    user_version: number;
  };
  const tables = (query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
    name: string;
  }[]).map(({ name }) => name);
  return [applicationId, version, tables];
}

/** Why `engine` must not open a file of this kind, or null when it may. */
export function wrongFileMessage(
  path: string,
  engine: "sqlite" | "kv",
  found: StoreFileKind,
): string | null {
  switch (found.kind) {
    case "new":
      return null;
    case "not-sqlite":
      return notSqliteMessage(path);
    case "sqlite-store":
      return engine === "sqlite" ? null : `${path} is a hookgate SQLite store: open it with ` +
        `sqlite:${path} (it was left as it is)`;
    case "kv-store":
      return engine === "kv" ? null : `${path} is a Deno KV store, not a hookgate SQLite ` +
        `store: open it with kv:${path} (it was left as it is)`;
    case "other":
      return `${path} is another program's SQLite database (tables: ` +
        `${found.tables.slice(0, 5).join(", ")}), not an event store (it was left as it is)`;
  }
}

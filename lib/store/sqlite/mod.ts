/** The SQLite event store (`--store sqlite:PATH`): one file through node:sqlite. */
export {
  openSqliteEventStore,
  SqliteEventStore,
  type SqliteEventStoreOptions,
} from "./sqlite_event_store.ts";
export { storeFileKind, wrongFileMessage } from "./file_kind.ts";

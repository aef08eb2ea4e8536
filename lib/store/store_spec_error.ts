/**
 * A store spec (`--store`, `HOOKGATE_STORE`) that names no store hookgate can
 * open: its message says what is accepted. Its own class, so the CLI tells a
 * bad spec (the user's to fix) from a store that cannot be reached.
 */
export class StoreSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreSpecError";
  }
}

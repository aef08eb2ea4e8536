/**
 * Every read and commit of the store goes through here, so each one retries
 * "database is locked" (another process holds the file's write lock) the same
 * way: with jitter, and as an error only if the lock persists.
 */
import { sleep } from "../../util/mod.ts";

const LOCK_RETRIES = 60;

export function isLocked(error: unknown): boolean {
  return error instanceof Error && /database is locked|SQLITE_BUSY/i.test(error.message);
}

/** Runs a KV operation, retrying with jitter while another process holds the file's lock. */
export async function withLockRetry<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isLocked(error) || attempt >= LOCK_RETRIES) throw error;
      await sleep(2 + Math.random() * Math.min(50, 4 * attempt));
    }
  }
}

/** A Deno.Kv whose reads and commits retry a held lock. */
export class LockedKv {
  constructor(readonly kv: Deno.Kv) {}

  get<T>(key: Deno.KvKey): Promise<Deno.KvEntryMaybe<T>> {
    return withLockRetry(() => this.kv.get<T>(key));
  }

  /** At most READ_MANY_MAX keys, all holding values of type T. */
  getMany<T>(keys: Deno.KvKey[]): Promise<Deno.KvEntryMaybe<T>[]> {
    return withLockRetry(() => this.kv.getMany<T[]>(keys) as Promise<Deno.KvEntryMaybe<T>[]>);
  }

  /** Reads a whole range (a locked read starts over), up to `limit` entries. */
  list<T>(
    selector: Deno.KvListSelector,
    options: Deno.KvListOptions = {},
  ): Promise<Deno.KvEntry<T>[]> {
    return withLockRetry(async () => {
      const out: Deno.KvEntry<T>[] = [];
      for await (const entry of this.kv.list<T>(selector, options)) out.push(entry);
      return out;
    });
  }

  /**
   * The keys under `prefix`, `limit` at a time (each page its own read: a large range is never
   * held whole), first to last, or last to first with `reverse`.
   */
  async *pages<T>(
    prefix: Deno.KvKey,
    options: { limit: number; reverse?: boolean },
  ): AsyncGenerator<Deno.KvEntry<T>[]> {
    const reverse = options.reverse === true;
    let cursor: Deno.KvKey | null = null;
    for (;;) {
      const selector: Deno.KvListSelector = cursor === null
        ? { prefix }
        : reverse
        ? { prefix, end: cursor }
        : { prefix, start: cursor };
      const page: Deno.KvEntry<T>[] = await this.list<T>(selector, {
        limit: options.limit,
        reverse,
      });
      if (page.length > 0) yield page;
      if (page.length < options.limit) return;
      const last = (page[page.length - 1] as Deno.KvEntry<T>).key;
      // `end` excludes the last key read; `start` includes, so start just after it: the same
      // key with one more part of the smallest kind.
      cursor = reverse ? last : [...last, new Uint8Array()];
    }
  }

  /** Builds the operation afresh on every try: a retried commit carries the same mutations. */
  commit(
    build: (op: Deno.AtomicOperation) => void,
  ): Promise<Deno.KvCommitResult | Deno.KvCommitError> {
    return withLockRetry(() => {
      const op = this.kv.atomic();
      build(op);
      return op.commit();
    });
  }

  close(): void {
    this.kv.close();
  }
}

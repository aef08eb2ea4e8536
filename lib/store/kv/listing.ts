/**
 * Reading events back (get, list by the status index, newest first) and
 * redelivery (a done or dead event pending again, attempts starting over).
 */
import type { EventStatus, ListOptions, RedeliverResult, StoredEvent } from "../event_store.ts";
import { readPayload } from "./chunks.ts";
import {
  chunkKey,
  dueKey,
  type EventRecord,
  orphanKey,
  putRecord,
  readChunks,
  recordKey,
  ROOT,
  storedEvent,
} from "./layout.ts";
import type { LockedKv } from "./locked_kv.ts";

const STATUSES: EventStatus[] = ["pending", "done", "dead"];
/** Index keys read per round while filling a page (entries may be filtered out). */
const PAGE_READ = 100;
const NEWEST_FIRST = { limit: PAGE_READ, reverse: true };

export class Listing {
  readonly #kv: LockedKv;
  readonly #now: () => number;
  readonly #onRedelivered: () => void;

  constructor(kv: LockedKv, now: () => number, onRedelivered: () => void) {
    this.#kv = kv;
    this.#now = now;
    this.#onRedelivered = onRedelivered;
  }

  async get(route: string, key: string): Promise<StoredEvent | null> {
    const entry = await this.#kv.get<EventRecord>(recordKey(route, key));
    const record = entry.value;
    if (record === null) return null;
    if (record.status !== "pending" || record.dueAtMs === undefined) {
      return await this.#stored(record);
    }
    // A pending event's live state (attempts, a running lease) is in its due key.
    const due = await this.#kv.get<EventRecord>(dueKey(record.dueAtMs, route, key));
    return await this.#stored(due.value ?? record);
  }

  async list(options: ListOptions): Promise<StoredEvent[]> {
    if (options.limit <= 0) return [];
    const statuses = options.status === undefined ? STATUSES : [options.status];
    const perStatus = await Promise.all(
      statuses.map((status) => this.#listStatus(status, options.route, options.limit)),
    );
    return perStatus.flat()
      .sort((a, b) => b.receivedAtMs - a.receivedAtMs)
      .slice(0, options.limit);
  }

  /**
   * Pending events are their due keys (live state included), read latest-due first
   * a page at a time: for events not yet retried that is newest first, and a
   * large backlog costs a page, not a read of the whole inbox.
   */
  async #listPending(route: string | undefined, limit: number): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    for await (const page of this.#kv.pages<EventRecord>([ROOT, "due"], NEWEST_FIRST)) {
      for (const entry of page) {
        if (route !== undefined && entry.value.route !== route) continue;
        const stored = await this.#stored(entry.value);
        if (stored !== null) out.push(stored);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  /** Newest first from the status index; an index key whose record moved on is skipped. */
  async #listStatus(status: EventStatus, route: string | undefined, limit: number) {
    if (status === "pending") return await this.#listPending(route, limit);
    const out: StoredEvent[] = [];
    for await (const page of this.#kv.pages<number>([ROOT, "listed", status], NEWEST_FIRST)) {
      const wanted = page.filter((entry) => route === undefined || entry.key[4] === route);
      const records = (await Promise.all(
        readChunks(wanted).map((chunk) =>
          this.#kv.getMany<EventRecord>(
            chunk.map((e) => recordKey(e.key[4] as string, e.key[5] as string)),
          )
        ),
      )).flat();
      for (const [i, entry] of records.entries()) {
        const record = entry.value;
        // An index key whose record moved on (or expired) is skipped.
        if (
          record === null || record.status !== status || record.receivedAtMs !== wanted[i]?.key[3]
        ) {
          continue;
        }
        const stored = await this.#stored(record);
        if (stored !== null) out.push(stored);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  async #stored(record: EventRecord): Promise<StoredEvent | null> {
    const payload = await readPayload(this.#kv, record);
    return payload === null ? null : storedEvent(record, payload);
  }

  async redeliver(route: string, key: string): Promise<RedeliverResult> {
    for (let round = 0; round < 10; round++) {
      const entry = await this.#kv.get<EventRecord>(recordKey(route, key));
      const previous = entry.value;
      if (previous === null) return "unknown";
      // A pending event is waiting or held by a lease: reviving it would hand it out twice at once.
      if (previous.status === "pending") return "pending";
      if (previous.blob) {
        const first = await this.#kv.get(chunkKey(previous.blob.id, 0));
        if (first.value === null) return "unknown";
      }
      const nowMs = this.#now();
      const record: EventRecord = {
        ...previous,
        status: "pending",
        attempt: 0,
        lastError: null,
        dueAtMs: nowMs,
        updatedAtMs: nowMs,
      };
      const result = await this.#kv.commit((op) => {
        op.check(entry);
        putRecord(op, record, previous);
        if (record.blob) op.delete(orphanKey(record.blob.id));
      });
      if (result.ok) {
        this.#onRedelivered();
        return "redelivered";
      }
    }
    return "unknown";
  }
}

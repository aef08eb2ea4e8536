import type {
  AcceptOutcome,
  ConsumeOptions,
  EventStatus,
  EventStore,
  HandlerOutcome,
  IncomingEvent,
  StoredEvent,
} from "../event_store.ts";

/*
 * Layout of the Deno KV file (every key starts with "hookgate"):
 *
 *   ["hookgate","event",route,key]   EventRecord (= the claim)  done: expireIn retention
 *   ["hookgate","blob",blobId,i]     Uint8Array chunk       payloads > INLINE_PAYLOAD_BYTES
 *   ["hookgate","orphan",blobId]     {expiresAtMs,route?,key?}  "these chunks may be swept"
 *   ["hookgate","undelivered",uuid]  a queue message Deno gave up on (re-enqueued by sweep)
 *   queue message                    {hookgate:"events",items:[{route,key,gen}…]} per commit
 *
 * Limits of one atomic commit, measured on Deno 2.9.6 (tests/store/kv/kv_event_store_test.ts
 * pins them): at most 100 checks, 1000 mutations + enqueues, 819,200 bytes of
 * keys + values + enqueued messages, 65,536 bytes per value.
 *
 * accept(): the inbox record (check versionstamp null: the record is the claim,
 * see #claimedBy) + queue message in ONE commit, so "accepted" is durable the
 * moment the commit resolves. Stores written before session 2 also hold
 * ["hookgate","claim",route,key] keys; nothing reads them and they expire. One
 * key per event instead of two: accepted/s +3.6% (3 alternating 6 s runs).
 * Payloads up to INLINE_PAYLOAD_BYTES live in the record. A larger one (up to
 * the 1 MiB body cap) cannot fit one commit: its chunks are written first under
 * a fresh blob id, together with an orphan marker; the claim commit then checks
 * that marker (so a sweep cannot have removed the chunks) and deletes it. If the
 * claim loses (duplicate) or the process dies in between, the marker expires and
 * the sweep deletes the chunks. When an event is done, the same marker is set
 * again (with its route/key) so its chunks go with the expiring record.
 *
 * Group commit: accept() calls that arrive while a commit is in flight (one by
 * default) are batched into the next one (up to 64 events by default, at most
 * BATCH_MAX_EVENTS and BATCH_MAX_BYTES) with ONE queue message naming them all;
 * the same key twice in a batch is one claim (the second is a duplicate). If any
 * check of a batch fails, reads pick out the keys already claimed, the rest is
 * committed as one group again, and only if that fails too does each event get
 * its own commit, so every caller gets its own right answer. A claim this
 * process saw committed answers a replay from memory until it expires (the
 * most recent KNOWN_CLAIMS_MAX of them).
 *
 * Measured under 32 connections (docs/benchmarks.md): one commit in flight
 * beats two, because SQLite applies them one at a time anyway and bigger
 * batches mean fewer queue messages, so the consumer keeps up (20 s at full
 * load: 585 events left pending instead of 52,003, and 6.6k instead of 5.1k
 * accepted/s). The consumer groups concurrently delivered messages the same way.
 *
 * "database is locked" (another process on the same
 * file) is retried with jitter and surfaces, if it persists, as an error (503),
 * never as accepted.
 */

const ROOT = "hookgate";
/** Payloads up to this size are stored in the record itself (value limit 64 KiB, minus metadata). */
export const INLINE_PAYLOAD_BYTES = 48 * 1024;
const CHUNK_BYTES = 60 * 1024;
/** Chunks written per commit: 10 × 60 KiB stays under the 800 KiB commit limit. */
const CHUNKS_PER_COMMIT = 10;
/** One check per event: the check limit (100) bounds a batch. */
export const BATCH_MAX_EVENTS = 100;
/** Keys + values of a batch, with headroom under the 819,200-byte commit limit. */
export const BATCH_MAX_BYTES = 700 * 1024;
const PER_EVENT_OVERHEAD_BYTES = 512;
/** How long unclaimed chunks live before a sweep may remove them. */
const ORPHAN_TTL_MS = 10 * 60_000;
const LOCK_RETRIES = 60;
const SWEEP_INTERVAL_MS = 60_000;
/** Keys per getMany (Deno KV reads at most 10 ranges at once). */
const READ_MANY_MAX = 10;
const MISSING_PAYLOAD = "payload chunks are missing";
/**
 * Claims remembered in memory for the duplicate fast path (about 120 bytes
 * each). 20,000 covers the last few seconds of a full-speed accept flood
 * (where replays cluster); an older replay costs one KV read instead. At
 * 100,000 the map alone held 12 MB and its churn kept old space growing
 * between collections (peak RSS 164–179 MB over 60 s of accepted load).
 */
const KNOWN_CLAIMS_MAX = 20_000;
/** Deno's own redelivery (at most 5 intervals, 1 h each) of a message whose handler threw. */
const QUEUE_BACKOFF_MS = [1000, 10_000, 60_000, 600_000, 3_600_000];

interface BlobRef {
  id: string;
  chunks: number;
  bytes: number;
}

interface EventRecord {
  route: string;
  key: string;
  id: string | null;
  receivedAtMs: number;
  retentionMs: number;
  attempt: number;
  status: EventStatus;
  lastError: string | null;
  /** Changes on redeliver, so a stale queue message is recognised and dropped. */
  gen: string;
  payload: Uint8Array | null;
  blob: BlobRef | null;
}

interface OrphanValue {
  expiresAtMs: number;
  route: string | null;
  key: string | null;
}

/** Which event a queue message is about; `gen` tells a stale message from a current one. */
interface EventPointer {
  route: string;
  key: string;
  gen: string;
}

/**
 * One message per commit: a group commit enqueues a single message naming all
 * its events, so the queue (which delivers only about a hundred messages a
 * second here) is not what limits the hand-off.
 */
type QueueMessage =
  | ({ hookgate: "event" } & EventPointer)
  | { hookgate: "events"; items: EventPointer[] };

/** An event whose attempt was counted, with the versionstamp of that commit. */
interface Started {
  key: Deno.KvKey;
  record: EventRecord;
  versionstamp: string;
}

interface PendingAccept {
  event: IncomingEvent;
  resolve(outcome: AcceptOutcome): void;
  reject(error: unknown): void;
}

export interface KvEventStoreOptions {
  /** The clock, in milliseconds. */
  now?: () => number;
  /** Upper bound on events per group commit (1 = one commit per request). */
  batchMaxEvents?: number;
  /**
   * Batches committed concurrently (default 1). SQLite applies them one at a
   * time anyway; more in flight made batches smaller and the consumer fall behind.
   */
  commitsInFlight?: number;
}

const recordKey = (route: string, key: string): Deno.KvKey => [ROOT, "event", route, key];
const chunkKey = (blobId: string, index: number): Deno.KvKey => [ROOT, "blob", blobId, index];
const orphanKey = (blobId: string): Deno.KvKey => [ROOT, "orphan", blobId];

const claimId = (event: { route: string; key: string }) => `${event.route}\u0000${event.key}`;
/** How long an event's key stays claimed: retention from when it was received. */
const claimExpiry = (event: { receivedAtMs: number; retentionMs: number }) =>
  event.receivedAtMs + event.retentionMs;

function isQueueMessage(value: unknown): value is QueueMessage {
  if (value === null || typeof value !== "object") return false;
  const kind = (value as { hookgate?: unknown }).hookgate;
  return kind === "event" ||
    (kind === "events" && Array.isArray((value as { items?: unknown }).items));
}

/**
 * Splits records into groups that fit one commit each: at most BATCH_MAX_EVENTS
 * (one check each) and BATCH_MAX_BYTES of values.
 */
function commitGroups<T>(items: T[], recordOf: (item: T) => EventRecord): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = (recordOf(item).payload?.length ?? 0) + PER_EVENT_OVERHEAD_BYTES;
    if (
      current.length > 0 && (current.length >= BATCH_MAX_EVENTS || bytes + size > BATCH_MAX_BYTES)
    ) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/**
 * If Deno gives up on a message (its handler threw through every backoff
 * interval, e.g. repeated shutdowns), it is parked under "undelivered" instead
 * of vanishing, and the next sweep enqueues it again.
 */
function queueOptions(delay = 0): {
  delay: number;
  backoffSchedule: number[];
  keysIfUndelivered: Deno.KvKey[];
} {
  return {
    delay,
    backoffSchedule: QUEUE_BACKOFF_MS,
    keysIfUndelivered: [[ROOT, "undelivered", crypto.randomUUID()]],
  };
}

function pointers(message: QueueMessage): EventPointer[] {
  return message.hookgate === "events"
    ? message.items
    : [{ route: message.route, key: message.key, gen: message.gen }];
}

/** A queue message whose events wait to be handed over; settled once they are recorded. */
interface WaitingMessage {
  items: EventPointer[];
  resolve(): void;
  reject(error: unknown): void;
}

/** The next group of waiting messages: whole messages, about BATCH_MAX_EVENTS events at most. */
function takeGroup(waiting: WaitingMessage[]): WaitingMessage[] {
  let events = 0;
  let count = 0;
  while (count < waiting.length) {
    const next = (waiting[count] as WaitingMessage).items.length;
    if (count > 0 && events + next > BATCH_MAX_EVENTS) break;
    events += next;
    count++;
  }
  return waiting.splice(0, count);
}

/** The same pointer twice (a retry message beside its original) is started once. */
function uniquePointers(group: WaitingMessage[]): EventPointer[] {
  const seen = new Set<string>();
  const out: EventPointer[] = [];
  for (const waiting of group) {
    for (const pointer of waiting.items) {
      const id = `${pointer.route}\u0000${pointer.key}\u0000${pointer.gen}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(pointer);
    }
  }
  return out;
}

function isLocked(error: unknown): boolean {
  return error instanceof Error && /database is locked|SQLITE_BUSY/i.test(error.message);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs a KV operation, retrying with jitter while another process holds the file's lock. */
async function withLockRetry<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isLocked(error) || attempt >= LOCK_RETRIES) throw error;
      await sleep(2 + Math.random() * Math.min(50, 4 * attempt));
    }
  }
}

/** The Deno KV backend: the embedded default (`--store kv:PATH`). */
export class KvEventStore implements EventStore {
  readonly #kv: Deno.Kv;
  readonly #now: () => number;
  readonly #batchMaxEvents: number;
  #queue: PendingAccept[] = [];
  /** Batches being committed right now (at most #maxCommitsInFlight). */
  #committing = 0;
  readonly #maxCommitsInFlight: number;
  #delivering = 0;
  /**
   * Claims this process has seen committed (key → expiresAtMs). A claim is never
   * removed before it expires, so a hit is a safe "duplicate" without any I/O:
   * a replay flood costs no store round trip.
   */
  readonly #knownClaims = new Map<string, number>();
  #closed = false;

  constructor(kv: Deno.Kv, options: KvEventStoreOptions = {}) {
    this.#kv = kv;
    this.#now = options.now ?? Date.now;
    this.#batchMaxEvents = Math.max(1, Math.min(options.batchMaxEvents ?? 64, BATCH_MAX_EVENTS));
    this.#maxCommitsInFlight = Math.max(1, options.commitsInFlight ?? 1);
  }

  accept(event: IncomingEvent): Promise<AcceptOutcome> {
    if (this.#closed) return Promise.reject(new Error("event store is closed"));
    const known = this.#knownClaims.get(claimId(event));
    if (known !== undefined && known > this.#now()) return Promise.resolve("duplicate");
    if (event.payload.length > INLINE_PAYLOAD_BYTES) return this.#acceptLarge(event);
    return new Promise((resolve, reject) => {
      this.#queue.push({ event, resolve, reject });
      if (this.#committing < this.#maxCommitsInFlight) void this.#drain();
    });
  }

  /** Group commit: whatever queued up while the previous commit ran goes into the next one. */
  async #drain(): Promise<void> {
    this.#committing++;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#takeBatch();
        await this.#commitBatch(batch);
      }
    } finally {
      this.#committing--;
    }
  }

  #takeBatch(): PendingAccept[] {
    let bytes = 0;
    let count = 0;
    while (count < this.#queue.length && count < this.#batchMaxEvents) {
      const next = this.#queue[count] as PendingAccept;
      const size = next.event.payload.length + next.event.key.length * 3 + PER_EVENT_OVERHEAD_BYTES;
      if (count > 0 && bytes + size > BATCH_MAX_BYTES) break;
      bytes += size;
      count++;
    }
    return this.#queue.splice(0, count);
  }

  async #commitBatch(batch: PendingAccept[]): Promise<void> {
    const leaders = new Map<string, PendingAccept>();
    const followers: [PendingAccept, PendingAccept][] = [];
    for (const entry of batch) {
      const id = claimId(entry.event);
      const leader = leaders.get(id);
      if (leader) followers.push([entry, leader]);
      else leaders.set(id, entry);
    }
    const outcomes = new Map<PendingAccept, Promise<AcceptOutcome>>();
    const unique = [...leaders.values()];
    let pending = unique;
    for (let round = 0; round < 2 && pending.length > 1; round++) {
      let committed: boolean;
      try {
        committed = await this.#commitGroup(pending);
      } catch (error) {
        for (const entry of batch) entry.reject(error);
        return;
      }
      if (committed) {
        for (const entry of pending) {
          this.#remember(entry.event.route, entry.event.key, claimExpiry(entry.event));
          outcomes.set(entry, Promise.resolve("accepted"));
        }
        pending = [];
        break;
      }
      // A failed check says only that SOME key was taken. Reads (not a commit per
      // event) find the duplicates, e.g. a replay flood after a restart, when the
      // claims are not in memory; the rest is tried as one commit once more.
      let duplicate: boolean[];
      try {
        duplicate = await this.#claimedAlready(pending.map((entry) => entry.event));
      } catch (error) {
        for (const entry of batch) entry.reject(error);
        return;
      }
      const rest: PendingAccept[] = [];
      pending.forEach((entry, i) => {
        if (duplicate[i]) outcomes.set(entry, Promise.resolve("duplicate"));
        else rest.push(entry);
      });
      pending = rest;
    }
    // Alone, a failed check is about this key only: decide each by itself.
    for (const entry of pending) outcomes.set(entry, this.#acceptOne(entry.event));
    await Promise.all(unique.map(async (entry) => {
      try {
        entry.resolve(await (outcomes.get(entry) as Promise<AcceptOutcome>));
      } catch (error) {
        entry.reject(error);
      }
    }));
    for (const [entry, leader] of followers) {
      (outcomes.get(leader) as Promise<AcceptOutcome>).then(
        () => entry.resolve("duplicate"),
        (error) => entry.reject(error),
      );
    }
  }

  /** One commit for the inbox records (the claims) of `entries`, with ONE queue message. */
  #commitGroup(entries: PendingAccept[]): Promise<boolean> {
    return withLockRetry(async () => {
      const op = this.#kv.atomic();
      const items = entries.map((entry) => this.#addAccept(op, entry.event, null, null));
      op.enqueue({ hookgate: "events", items } satisfies QueueMessage, queueOptions());
      return (await op.commit()).ok;
    });
  }

  /**
   * Whether each event's key is already claimed, by reads only (getMany, in
   * parallel): a live claim, or an expired one whose event is still pending or
   * dead in the inbox (Deno deletes late). A claimed key is remembered.
   */
  async #claimedAlready(events: IncomingEvent[]): Promise<boolean[]> {
    const chunks: IncomingEvent[][] = [];
    // One key per event (its record) and at most READ_MANY_MAX keys per read.
    for (let i = 0; i < events.length; i += READ_MANY_MAX) {
      chunks.push(events.slice(i, i + READ_MANY_MAX));
    }
    const nowMs = this.#now();
    const results = await Promise.all(chunks.map(async (chunk) => {
      const keys = chunk.map((event) => recordKey(event.route, event.key));
      const entries = await withLockRetry(() => this.#kv.getMany<EventRecord[]>(keys));
      return chunk.map((event, i) => {
        return this.#claimedBy(event, entries[i] as Deno.KvEntryMaybe<EventRecord>, nowMs);
      });
    }));
    return results.flat();
  }

  #remember(route: string, key: string, expiresAtMs: number): void {
    const id = claimId({ route, key });
    this.#knownClaims.delete(id);
    this.#knownClaims.set(id, expiresAtMs);
    if (this.#knownClaims.size > KNOWN_CLAIMS_MAX) {
      // Map iteration order is insertion order: drop the oldest.
      const oldest = this.#knownClaims.keys().next().value;
      if (oldest !== undefined) this.#knownClaims.delete(oldest);
    }
  }

  /**
   * Whether `entry`, the event's inbox record, holds its key now: the record IS the
   * claim. A pending or dead event holds it, a done one until its retention (from
   * receipt) has passed; a done record is kept retention past its completion, so it
   * never disappears before the claim it carries has expired. A holder is remembered.
   */
  #claimedBy(
    event: { route: string; key: string },
    entry: Deno.KvEntryMaybe<EventRecord>,
    nowMs: number,
  ): boolean {
    const record = entry.value;
    if (record === null || (record.status === "done" && claimExpiry(record) <= nowMs)) {
      return false;
    }
    this.#remember(event.route, event.key, claimExpiry(record));
    return true;
  }

  /**
   * Adds one event's inbox record (its claim) to an atomic operation, checked against
   * `recordVersionstamp`: null for a new key, or the version of an expired done record it
   * replaces. The caller enqueues.
   */
  #addAccept(
    op: Deno.AtomicOperation,
    event: IncomingEvent,
    recordVersionstamp: string | null,
    blob: { ref: BlobRef; markerVersionstamp: string } | null,
  ): EventPointer {
    const gen = crypto.randomUUID();
    const record: EventRecord = {
      route: event.route,
      key: event.key,
      id: event.id,
      receivedAtMs: event.receivedAtMs,
      retentionMs: event.retentionMs,
      attempt: 0,
      status: "pending",
      lastError: null,
      gen,
      payload: blob ? null : event.payload,
      blob: blob ? blob.ref : null,
    };
    op.check({ key: recordKey(event.route, event.key), versionstamp: recordVersionstamp })
      .set(recordKey(event.route, event.key), record);
    if (blob) {
      op.check({ key: orphanKey(blob.ref.id), versionstamp: blob.markerVersionstamp })
        .delete(orphanKey(blob.ref.id));
    }
    return { route: event.route, key: event.key, gen };
  }

  /**
   * One event in its own commit. A failed check is then about this key only:
   * a live claim is a duplicate; an expired one (Deno deletes late) is absent,
   * unless its event is still pending or dead in the inbox.
   */
  async #acceptOne(
    event: IncomingEvent,
    blob: { ref: BlobRef; markerVersionstamp: string } | null = null,
  ): Promise<AcceptOutcome> {
    let recordVersionstamp: string | null = null;
    for (let round = 0; round < 10; round++) {
      const committed = await withLockRetry(async () => {
        const op = this.#kv.atomic();
        const pointer = this.#addAccept(op, event, recordVersionstamp, blob);
        op.enqueue({ hookgate: "event", ...pointer } satisfies QueueMessage, queueOptions());
        return (await op.commit()).ok;
      });
      if (committed) {
        this.#remember(event.route, event.key, claimExpiry(event));
        return "accepted";
      }
      const record = await withLockRetry(() =>
        this.#kv.get<EventRecord>(recordKey(event.route, event.key))
      );
      if (this.#claimedBy(event, record, this.#now())) return "duplicate";
      if (blob) {
        const marker = await withLockRetry(() => this.#kv.get(orphanKey(blob.ref.id)));
        if (marker.versionstamp !== blob.markerVersionstamp) {
          throw new Error("payload chunks were swept before the claim committed");
        }
      }
      // Absent, or done and past its retention but not yet deleted (Deno deletes late):
      // the next round replaces exactly that version.
      recordVersionstamp = record.versionstamp;
    }
    throw new Error("claim kept changing under contention");
  }

  async #acceptLarge(event: IncomingEvent): Promise<AcceptOutcome> {
    const ref: BlobRef = {
      id: crypto.randomUUID(),
      chunks: Math.ceil(event.payload.length / CHUNK_BYTES),
      bytes: event.payload.length,
    };
    const marker: OrphanValue = {
      expiresAtMs: this.#now() + ORPHAN_TTL_MS,
      route: null,
      key: null,
    };
    let markerVersionstamp = "";
    for (let first = 0; first < ref.chunks; first += CHUNKS_PER_COMMIT) {
      const result = await withLockRetry(() => {
        const op = this.#kv.atomic();
        if (first === 0) op.set(orphanKey(ref.id), marker);
        const last = Math.min(ref.chunks, first + CHUNKS_PER_COMMIT);
        for (let i = first; i < last; i++) {
          op.set(
            chunkKey(ref.id, i),
            event.payload.subarray(i * CHUNK_BYTES, Math.min((i + 1) * CHUNK_BYTES, ref.bytes)),
          );
        }
        return op.commit();
      });
      if (!result.ok) throw new Error("writing payload chunks failed");
      if (first === 0) markerVersionstamp = result.versionstamp;
    }
    return await this.#acceptOne(event, { ref, markerVersionstamp });
  }

  async #payload(record: EventRecord): Promise<Uint8Array | null> {
    if (record.payload) return record.payload;
    if (!record.blob) return new Uint8Array(0);
    const out = new Uint8Array(record.blob.bytes);
    let offset = 0;
    for (let i = 0; i < record.blob.chunks; i++) {
      const chunk = await withLockRetry(() =>
        this.#kv.get<Uint8Array>(chunkKey(record.blob!.id, i))
      );
      if (chunk.value === null) return null;
      out.set(chunk.value, offset);
      offset += chunk.value.length;
    }
    return out;
  }

  async #stored(record: EventRecord): Promise<StoredEvent | null> {
    const payload = await this.#payload(record);
    if (payload === null) return null;
    return {
      route: record.route,
      key: record.key,
      id: record.id,
      payload,
      receivedAtMs: record.receivedAtMs,
      attempt: record.attempt,
      status: record.status,
      lastError: record.lastError,
    };
  }

  async consume(
    handler: (event: StoredEvent) => Promise<HandlerOutcome>,
    options: ConsumeOptions,
  ): Promise<void> {
    const { signal } = options;
    if (signal.aborted) return;
    let running = 0;
    const waiting: (() => void)[] = [];
    const stopped = new Promise<void>((resolve) =>
      signal.addEventListener("abort", () => resolve(), { once: true })
    );
    const sweeper = setInterval(() => void this.sweep().catch(() => {}), SWEEP_INTERVAL_MS);
    Deno.unrefTimer(sweeper);
    void this.sweep().catch(() => {});
    const runOne = async (event: Started): Promise<HandlerOutcome | null> => {
      while (running >= options.concurrency) {
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
      // Not run: the event stays pending and its message is delivered again.
      if (signal.aborted) return null;
      running++;
      try {
        return await this.#runHandler(event.record, handler);
      } finally {
        running--;
        waiting.shift()?.();
      }
    };
    // Deno hands over several messages at once (up to 5 were seen in flight);
    // while one group is being started, run and finished, the messages that
    // arrive wait and then go as ONE group: one read pass and two commits for
    // all their events, so a consumer that falls behind catches up in bigger
    // steps instead of competing with accept() commit by commit.
    const waitingMessages: WaitingMessage[] = [];
    let grouping = false;
    const handOff = async (): Promise<void> => {
      if (grouping) return;
      grouping = true;
      try {
        while (waitingMessages.length > 0) {
          const group = takeGroup(waitingMessages);
          try {
            const started = await this.#start(uniquePointers(group));
            const outcomes = await Promise.all(started.map(runOne));
            await this.#finish(started, outcomes, options);
            const stopped = outcomes.includes(null);
            for (const waiting of group) {
              if (stopped) waiting.reject(new Error("consumer stopped"));
              else waiting.resolve();
            }
          } catch (error) {
            for (const waiting of group) waiting.reject(error);
          }
        }
      } finally {
        grouping = false;
      }
    };
    const listening = this.#kv.listenQueue(async (message: unknown) => {
      if (!isQueueMessage(message)) return;
      // Unacknowledged (thrown) messages come back: at the latest after a restart.
      if (signal.aborted) throw new Error("consumer stopped");
      this.#delivering++;
      try {
        await new Promise<void>((resolve, reject) => {
          waitingMessages.push({ items: pointers(message), resolve, reject });
          void handOff();
        });
      } finally {
        this.#delivering--;
      }
    });
    try {
      await Promise.race([listening, stopped]);
    } finally {
      clearInterval(sweeper);
    }
  }

  /**
   * Counts an attempt for every event of a message that is still pending and
   * current (gen), in as few commits as the limits allow, so the hand-off costs
   * two commits per message rather than two per event.
   */
  async #start(items: EventPointer[]): Promise<Started[]> {
    const reads: Promise<Deno.KvEntryMaybe<EventRecord>[]>[] = [];
    // Reads in parallel: a group of 100 events is 10 getMany calls, not 10 round trips in a row.
    for (let i = 0; i < items.length; i += READ_MANY_MAX) {
      const keys = items.slice(i, i + READ_MANY_MAX).map((p) => recordKey(p.route, p.key));
      reads.push(withLockRetry(() => this.#kv.getMany<EventRecord[]>(keys)));
    }
    const entries = (await Promise.all(reads)).flat();
    const live = entries.filter((entry, i): entry is Deno.KvEntry<EventRecord> =>
      entry.value !== null && entry.value.gen === items[i]?.gen &&
      entry.value.status === "pending"
    );
    const started: Started[] = [];
    for (const group of commitGroups(live, (entry) => entry.value)) {
      const records = group.map((entry) => ({ ...entry.value, attempt: entry.value.attempt + 1 }));
      const result = await withLockRetry(() => {
        const op = this.#kv.atomic();
        group.forEach((entry, i) => op.check(entry).set(entry.key, records[i]));
        return op.commit();
      });
      if (result.ok) {
        group.forEach((entry, i) =>
          started.push({
            key: entry.key,
            record: records[i] as EventRecord,
            versionstamp: result.versionstamp,
          })
        );
        continue;
      }
      // Some record changed meanwhile (redeliver, another consumer): decide each alone.
      for (const [i, entry] of group.entries()) {
        const record = records[i] as EventRecord;
        const one = await withLockRetry(() =>
          this.#kv.atomic().check(entry).set(entry.key, record).commit()
        );
        if (one.ok) started.push({ key: entry.key, record, versionstamp: one.versionstamp });
      }
    }
    return started;
  }

  async #runHandler(
    record: EventRecord,
    handler: (event: StoredEvent) => Promise<HandlerOutcome>,
  ): Promise<HandlerOutcome> {
    const stored = await this.#stored(record);
    if (stored === null) return { ok: false, error: MISSING_PAYLOAD };
    try {
      return await handler(stored);
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Records each outcome: done (expires with retention), a delayed retry, or a dead letter. */
  async #finish(
    started: Started[],
    outcomes: (HandlerOutcome | null)[],
    options: ConsumeOptions,
  ): Promise<void> {
    const finished = started.map((event, i) => ({ event, outcome: outcomes[i] ?? null }))
      .filter((f): f is { event: Started; outcome: HandlerOutcome } => f.outcome !== null);
    const add = (op: Deno.AtomicOperation, event: Started, outcome: HandlerOutcome) => {
      const { key, record } = event;
      op.check({ key, versionstamp: event.versionstamp });
      if (outcome.ok) {
        op.set(key, { ...record, status: "done", lastError: null }, {
          expireIn: record.retentionMs,
        });
        if (record.blob) {
          const marker: OrphanValue = {
            expiresAtMs: this.#now() + record.retentionMs,
            route: record.route,
            key: record.key,
          };
          op.set(orphanKey(record.blob.id), marker);
        }
      } else if (record.attempt >= options.maxAttempts || outcome.error === MISSING_PAYLOAD) {
        op.set(key, { ...record, status: "dead", lastError: outcome.error });
      } else {
        const retry: QueueMessage = {
          hookgate: "event",
          route: record.route,
          key: record.key,
          gen: record.gen,
        };
        op.set(key, { ...record, lastError: outcome.error }).enqueue(
          retry,
          queueOptions(Math.max(0, Math.round(options.retryDelayMs(record.attempt)))),
        );
      }
    };
    for (const group of commitGroups(finished, (f) => f.event.record)) {
      const result = await withLockRetry(() => {
        const op = this.#kv.atomic();
        for (const f of group) add(op, f.event, f.outcome);
        return op.commit();
      });
      if (result.ok) continue;
      // A failed check means redeliver() replaced that record meanwhile: its new message wins.
      for (const f of group) {
        await withLockRetry(() => {
          const op = this.#kv.atomic();
          add(op, f.event, f.outcome);
          return op.commit();
        });
      }
    }
  }

  async list(options: { status: EventStatus; limit: number }): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    if (options.limit <= 0) return out;
    for await (const entry of this.#kv.list<EventRecord>({ prefix: [ROOT, "event"] })) {
      if (entry.value.status !== options.status) continue;
      const stored = await this.#stored(entry.value);
      if (stored === null) continue;
      out.push(stored);
      if (out.length >= options.limit) break;
    }
    return out;
  }

  async get(route: string, key: string): Promise<StoredEvent | null> {
    const entry = await withLockRetry(() => this.#kv.get<EventRecord>(recordKey(route, key)));
    return entry.value === null ? null : await this.#stored(entry.value);
  }

  async redeliver(route: string, key: string): Promise<boolean> {
    for (let round = 0; round < 10; round++) {
      const entry = await withLockRetry(() => this.#kv.get<EventRecord>(recordKey(route, key)));
      if (entry.value === null) return false;
      if (entry.value.blob) {
        const marker = await this.#kv.get(chunkKey(entry.value.blob.id, 0));
        if (marker.value === null) return false;
      }
      const gen = crypto.randomUUID();
      const record: EventRecord = {
        ...entry.value,
        status: "pending",
        attempt: 0,
        lastError: null,
        gen,
      };
      const op = this.#kv.atomic().check(entry).set(recordKey(route, key), record).enqueue(
        { hookgate: "event", route, key, gen } satisfies QueueMessage,
        queueOptions(),
      );
      if (record.blob) op.delete(orphanKey(record.blob.id));
      if ((await withLockRetry(() => op.commit())).ok) return true;
    }
    return false;
  }

  /**
   * Deletes payload chunks nobody needs any more: unclaimed ones (a lost race,
   * a crash before the claim) and those of done events past retention. A chunk
   * set whose event is pending or dead again (redeliver) is kept.
   */
  async sweep(nowMs: number = this.#now()): Promise<number> {
    for await (const parked of this.#kv.list({ prefix: [ROOT, "undelivered"] })) {
      if (!isQueueMessage(parked.value)) continue;
      await withLockRetry(() =>
        this.#kv.atomic().check(parked).delete(parked.key).enqueue(parked.value, queueOptions())
          .commit()
      );
    }
    let removed = 0;
    for await (const entry of this.#kv.list<OrphanValue>({ prefix: [ROOT, "orphan"] })) {
      if (entry.value.expiresAtMs > nowMs) continue;
      const blobId = entry.key[2] as string;
      const op = this.#kv.atomic().check(entry).delete(entry.key);
      if (entry.value.route !== null && entry.value.key !== null) {
        const rKey = recordKey(entry.value.route, entry.value.key);
        const record = await this.#kv.get<EventRecord>(rKey);
        if (record.value !== null && record.value.blob?.id === blobId) {
          if (record.value.status !== "done") {
            await op.commit();
            continue;
          }
          op.check(record).delete(rKey);
        }
      }
      for await (const chunk of this.#kv.list({ prefix: [ROOT, "blob", blobId] })) {
        op.delete(chunk.key);
      }
      if ((await withLockRetry(() => op.commit())).ok) removed++;
    }
    return removed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // A hand-off in progress finishes and records its outcome before the file closes.
    while (this.#committing > 0 || this.#delivering > 0) await sleep(5);
    this.#kv.close();
  }
}

/** Opens (creating if needed) the KV file at `path`. */
export async function openKvEventStore(
  path: string,
  options: KvEventStoreOptions = {},
): Promise<KvEventStore> {
  const kv = await withLockRetry(() => Deno.openKv(path));
  return new KvEventStore(kv, options);
}

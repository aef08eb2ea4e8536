/**
 * accept(): the event's record (check versionstamp null: the record IS the
 * claim) and its inbox key in ONE commit, so "accepted" is durable the moment
 * the commit resolves.
 *
 * Group commit: accept() calls that arrive while a commit is in flight (one by
 * default) are batched into the next one (up to 64 events by default, at most
 * BATCH_MAX_EVENTS and BATCH_MAX_BYTES); the same key twice in a batch is one
 * claim (the second is a duplicate). If any check of a batch fails, reads pick
 * out the keys already claimed, the rest is committed as one group again, and
 * only if that fails too does each event get its own commit, so every caller
 * gets its own right answer. One commit in flight beats two: SQLite applies
 * them one at a time anyway, and bigger batches mean fewer commits overall.
 */
import type { AcceptOutcome, IncomingEvent } from "../event_store.ts";
import { adoptChunks, writeChunks, type WrittenBlob } from "./chunks.ts";
import { ClaimCache, claimId } from "../claim_cache.ts";
import type { DirectIntake } from "../direct_intake.ts";
import {
  aliasKey,
  aliasMember,
  BATCH_MAX_BYTES,
  claimExpiry,
  type EventRecord,
  INLINE_PAYLOAD_BYTES,
  orphanKey,
  PER_EVENT_OVERHEAD_BYTES,
  putRecord,
  readChunks,
  recordKey,
} from "./layout.ts";
import { asHeld, type Held, leaseIdFor } from "./leases.ts";
import type { LockedKv } from "./locked_kv.ts";

interface PendingAccept {
  event: IncomingEvent;
  resolve(outcome: AcceptOutcome): void;
  reject(error: unknown): void;
}

export interface GroupCommitOptions {
  now: () => number;
  /** Upper bound on events per group commit (1 = one commit per request). */
  batchMaxEvents: number;
  /** Batches committed concurrently. */
  commitsInFlight: number;
  /** Called after a commit made events pending (the local consumer looks at once). */
  onAccepted(): void;
}

export class GroupCommit {
  readonly #kv: LockedKv;
  readonly #options: GroupCommitOptions;
  readonly #claims = new ClaimCache();
  /** This process's push consumer, taking events leased in their accept commit. */
  #intake: DirectIntake<Held> | null = null;
  #queue: PendingAccept[] = [];
  /** Batches being committed right now, and large payloads being written. */
  #committing = 0;
  #idle: (() => void)[] = [];

  constructor(kv: LockedKv, options: GroupCommitOptions) {
    this.#kv = kv;
    this.#options = options;
  }

  accept(event: IncomingEvent): Promise<AcceptOutcome> {
    if (this.#claims.holds(event, this.#options.now())) return Promise.resolve("duplicate");
    if (event.aliasKeys !== undefined && event.aliasKeys.length > 0) {
      // Rare (schemes that sign neither a timestamp nor an id): a commit of their own,
      // out of the group commit, so a batch stays about one key per event.
      const nowMs = this.#options.now();
      const route = event.route;
      if (
        event.aliasKeys.some((alias) =>
          this.#claims.holds({ route, key: aliasMember(alias) }, nowMs)
        )
      ) {
        return Promise.resolve("duplicate");
      }
      return this.#tracked(
        event.payload.length > INLINE_PAYLOAD_BYTES
          ? this.#acceptLarge(event)
          : this.#acceptOne(event, null),
      );
    }
    if (event.payload.length > INLINE_PAYLOAD_BYTES) return this.#tracked(this.#acceptLarge(event));
    return new Promise((resolve, reject) => {
      this.#queue.push({ event, resolve, reject });
      if (this.#committing < this.#options.commitsInFlight) void this.#commitQueued();
    });
  }

  /**
   * Leases events to `intake` in their accept commit while it has room; returns the
   * detach. One intake at a time: a second consumer scans the inbox like any other.
   */
  attach(intake: DirectIntake<Held>): () => void {
    if (this.#intake !== null) return () => {};
    this.#intake = intake;
    return () => {
      if (this.#intake === intake) this.#intake = null;
    };
  }

  /** Resolves once no commit is in flight and nothing waits for one. */
  idle(): Promise<void> {
    if (this.#committing === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async #tracked<T>(work: Promise<T>): Promise<T> {
    this.#committing++;
    try {
      return await work;
    } finally {
      this.#done();
    }
  }

  #done(): void {
    this.#committing--;
    if (this.#committing === 0 && this.#queue.length === 0) {
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /** Whatever queued up while the previous commit ran goes into the next one. */
  async #commitQueued(): Promise<void> {
    this.#committing++;
    try {
      while (this.#queue.length > 0) await this.#commitBatch(this.#takeBatch());
    } finally {
      this.#done();
    }
  }

  #takeBatch(): PendingAccept[] {
    let bytes = 0;
    let count = 0;
    while (count < this.#queue.length && count < this.#options.batchMaxEvents) {
      const next = this.#queue[count] as PendingAccept;
      // The payload is written twice: in the record and in its due key.
      const size = 2 * next.event.payload.length + next.event.key.length * 3 +
        PER_EVENT_OVERHEAD_BYTES;
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
    try {
      // A lone event goes through the group path too (it may be leased in its commit);
      // only a group's second round needs two, as a failed check alone names its key.
      for (let round = 0; round < 2 && pending.length > (round === 0 ? 0 : 1); round++) {
        if (await this.#commitGroup(pending.map((entry) => entry.event))) {
          for (const entry of pending) outcomes.set(entry, Promise.resolve("accepted"));
          pending = [];
          break;
        }
        // A failed check says only that SOME key was taken. Reads (not a commit per
        // event) find the duplicates, e.g. a replay flood after a restart, when the
        // claims are not in memory; the rest is tried as one commit once more.
        const duplicate = await this.#claimedAlready(pending.map((entry) => entry.event));
        const rest: PendingAccept[] = [];
        pending.forEach((entry, i) => {
          if (duplicate[i]) outcomes.set(entry, Promise.resolve("duplicate"));
          else rest.push(entry);
        });
        pending = rest;
      }
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    // Alone, a failed check is about this key only: decide each by itself.
    for (const entry of pending) outcomes.set(entry, this.#acceptOne(entry.event, null));
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

  /**
   * One commit for the records (the claims) and inbox keys of `events`; the first
   * ones, as many as this process's consumer has room for, are leased to it there.
   */
  async #commitGroup(events: IncomingEvent[]): Promise<boolean> {
    const nowMs = this.#options.now();
    const intake = this.#intake;
    const reserved = intake?.reserve(events.length) ?? 0;
    const leased: EventRecord[] = [];
    let result: Deno.KvCommitResult | Deno.KvCommitError;
    try {
      result = await this.#kv.commit((op) => {
        leased.length = 0;
        events.forEach((event, i) => {
          const lease = i < reserved && intake !== null ? intake.leaseMs : null;
          const due = this.#addAccept(op, event, nowMs, null, null, lease);
          if (lease !== null) leased.push(due);
        });
      });
    } catch (error) {
      intake?.take([], reserved);
      throw error;
    }
    if (!result.ok) {
      intake?.take([], reserved);
      return false;
    }
    for (const event of events) this.#claims.remember(event, claimExpiry(event));
    const versionstamp = result.versionstamp;
    intake?.take(leased.map((record) => asHeld(record, versionstamp)), reserved);
    // Unleased events wait in the inbox: the consumers look at once.
    if (reserved < events.length) this.#options.onAccepted();
    return true;
  }

  /**
   * Whether each event's key is already claimed, by reads only (getMany, in
   * parallel). A claimed key is remembered.
   */
  async #claimedAlready(events: IncomingEvent[]): Promise<boolean[]> {
    const nowMs = this.#options.now();
    const results = await Promise.all(
      readChunks(events).map(async (chunk) => {
        const keys = chunk.map((event) => recordKey(event.route, event.key));
        const entries = await this.#kv.getMany<EventRecord>(keys);
        return chunk.map((event, i) => this.#claimedBy(event, entries[i]?.value ?? null, nowMs));
      }),
    );
    return results.flat();
  }

  /**
   * Whether `record`, the event's record, holds its key now: the record IS the
   * claim. A pending or dead event holds it, a done one until its retention (from
   * receipt) has passed; a done record is kept retention past its completion, so it
   * never disappears before the claim it carries has expired. A holder is remembered.
   */
  #claimedBy(event: IncomingEvent, record: EventRecord | null, nowMs: number): boolean {
    if (record === null || (record.status === "done" && claimExpiry(record) <= nowMs)) {
      return false;
    }
    this.#claims.remember(event, claimExpiry(record));
    return true;
  }

  /**
   * Adds one event's record (its claim) and inbox key to a commit, checked against
   * `previous`: absent for a new key, or the expired done record it replaces. With
   * `leaseMs`, the due key is written leased to this process's consumer, at the
   * lease's expiry (direct_intake.ts). Returns the due key's value.
   */
  #addAccept(
    op: Deno.AtomicOperation,
    event: IncomingEvent,
    nowMs: number,
    previous: Deno.KvEntry<EventRecord> | null,
    blob: WrittenBlob | null,
    leaseMs: number | null = null,
  ): EventRecord {
    const dueAtMs = leaseMs === null ? nowMs : nowMs + Math.max(1, leaseMs);
    const record: EventRecord = {
      route: event.route,
      key: event.key,
      id: event.id,
      receivedAtMs: event.receivedAtMs,
      retentionMs: event.retentionMs,
      attempt: 0,
      status: "pending",
      lastError: null,
      payload: blob ? null : ownBytes(event.payload),
      blob: blob ? blob.ref : null,
      dueAtMs,
      updatedAtMs: nowMs,
    };
    const due: EventRecord = leaseMs === null ? record : {
      ...record,
      attempt: 1,
      leaseId: leaseIdFor(dueAtMs),
      leaseExpiresAtMs: dueAtMs,
    };
    op.check({
      key: recordKey(event.route, event.key),
      versionstamp: previous?.versionstamp ?? null,
    });
    putRecord(op, record, previous?.value ?? null, due);
    if (blob) adoptChunks(op, blob);
    return due;
  }

  /**
   * One event in its own commit. A failed check is then about this key only:
   * a live claim is a duplicate; an expired one (Deno deletes late) is replaced.
   */
  async #acceptOne(event: IncomingEvent, blob: WrittenBlob | null): Promise<AcceptOutcome> {
    let previous: Deno.KvEntry<EventRecord> | null = null;
    const aliases = event.aliasKeys ?? [];
    let aliasVersionstamps: (string | null)[] = aliases.map(() => null);
    for (let round = 0; round < 10; round++) {
      const nowMs = this.#options.now();
      const result = await this.#kv.commit((op) => {
        this.#addAccept(op, event, nowMs, previous, blob);
        aliases.forEach((alias, i) => {
          const key = aliasKey(event.route, alias);
          op.check({ key, versionstamp: aliasVersionstamps[i] ?? null })
            .set(key, { expiresAtMs: claimExpiry(event) }, { expireIn: event.retentionMs });
        });
      });
      if (result.ok) {
        this.#claims.remember(event, claimExpiry(event));
        for (const alias of aliases) {
          this.#claims.remember(
            { route: event.route, key: aliasMember(alias) },
            claimExpiry(event),
          );
        }
        this.#options.onAccepted();
        return "accepted";
      }
      const entry = await this.#kv.get<EventRecord>(recordKey(event.route, event.key));
      if (this.#claimedBy(event, entry.value, this.#options.now())) return "duplicate";
      if (aliases.length > 0) {
        const held = await this.#kv.getMany<{ expiresAtMs: number }>(
          aliases.map((alias) => aliasKey(event.route, alias)),
        );
        const checkedMs = this.#options.now();
        const live = held.findIndex((found) => (found.value?.expiresAtMs ?? 0) > checkedMs);
        if (live >= 0) {
          const expiresAtMs = (held[live]?.value as { expiresAtMs: number }).expiresAtMs;
          this.#claims.remember(
            { route: event.route, key: aliasMember(aliases[live] as string) },
            expiresAtMs,
          );
          return "duplicate";
        }
        // Absent, or expired but not yet deleted: the next round replaces exactly those versions.
        aliasVersionstamps = held.map((found) => found.versionstamp);
      }
      if (blob && !(await this.#markerUnchanged(blob))) {
        throw new Error("payload chunks were swept before the claim committed");
      }
      // Absent, or done and past its retention but not yet deleted (Deno deletes late):
      // the next round replaces exactly that version.
      previous = entry.versionstamp === null ? null : entry as Deno.KvEntry<EventRecord>;
    }
    throw new Error("claim kept changing under contention");
  }

  async #markerUnchanged(blob: WrittenBlob): Promise<boolean> {
    const marker = await this.#kv.get(orphanKey(blob.ref.id));
    return marker.versionstamp === blob.markerVersionstamp;
  }

  async #acceptLarge(event: IncomingEvent): Promise<AcceptOutcome> {
    const blob = await writeChunks(this.#kv, event.payload, this.#options.now());
    return await this.#acceptOne(event, blob);
  }
}

/**
 * The payload in a buffer of its own. Deno KV serializes a Uint8Array inside a record together
 * with its whole backing buffer, so a body that arrived as a window on a larger read buffer
 * (one HTTP/2 data frame, say) would make the record too large to commit, and every retry fail.
 */
function ownBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : bytes.slice();
}

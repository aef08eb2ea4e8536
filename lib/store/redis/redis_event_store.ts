/**
 * The Redis backend's facade: the EventStore calls, each bounded by the store deadline, on the
 * Lua scripts of scripts.ts and the consumers of consumer.ts and leasing.ts.
 */
import { StoreSpecError } from "../store_spec_error.ts";
import type { Redis } from "npm:ioredis@6.0.0";
import { TIMED_OUT, within } from "../../receive/mod.ts";
import type {
  AcceptOutcome,
  ConsumeOptions,
  EventHandler,
  EventStatus,
  EventStore,
  IncomingEvent,
  Lease,
  LeaseOptions,
  ListOptions,
  RedeliverResult,
  RetryPolicy,
  Settlement,
  SettleResult,
  SharedRevocations,
  StoredEvent,
} from "../event_store.ts";
import { parseRedisUrl, type RedisTarget } from "./redis_url.ts";
import { Bell } from "./bell.ts";
import { clockWarning, connectRedis, durabilityWarnings } from "./connect.ts";
import { PushConsumer } from "./consumer.ts";
import { decodeEvent, SUMMARY_FIELDS, summaryOf } from "./decode.ts";
import { keysFor, memberOf, type RedisKeys } from "./keys.ts";
import { type HeldLease, waitForLease } from "./leasing.ts";
import { RedisScripts, type Verdict } from "./scripts.ts";
import { errorMessage } from "../../util/mod.ts";

const DEFAULT_VISIBILITY_TIMEOUT_MS = 30_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;
const DEFAULT_BLOCK_MS = 1_000;
const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
const STATUSES: EventStatus[] = ["pending", "done", "dead"];

export interface RedisEventStoreOptions {
  /** REDIS_PASSWORD; used when the URL carries none. Never logged. */
  password?: string | undefined;
  /** A silent worker's events are taken over after this long (the URL's visibility_timeout wins). */
  visibilityTimeoutMs?: number;
  /** Key prefix (the URL's ?prefix= wins); isolates gateways sharing one Redis. */
  keyPrefix?: string;
  /**
   * The store's deadline (the URL's timeout wins): every call that got no answer within it
   * rejects (the request is answered 503), whatever Redis does meanwhile.
   */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** How long a consumer waits for the bell before it looks at the queue again anyway. */
  blockMs?: number;
  /** How long consume() lets running handlers finish after its signal aborts, unless its options say. */
  shutdownGraceMs?: number;
  /** Told once at start-up when Redis is not set up to keep what it acknowledged (no AOF …). */
  warn?: (line: string) => void;
  /** The clock gate 1 reads, compared with Redis's at start-up (default Date.now). */
  now?: () => number;
}

/**
 * The Redis backend (`--store redis://…`): several `serve` instances behind a load balancer
 * share claims and one queue, and pull clients lease from the same queue. Every failure to
 * reach Redis, and every call Redis leaves unanswered past the deadline, is a rejected
 * promise (the handler answers 503), never an "accepted" that is not in Redis; the client
 * reconnects on its own when Redis is back. Key layout and lease rules: keys.ts.
 */
export class RedisEventStore implements EventStore {
  readonly #redis: Redis;
  readonly #scripts: RedisScripts;
  readonly #keys: RedisKeys;
  readonly #bell: Bell;
  readonly #visibilityTimeoutMs: number;
  readonly #deadlineMs: number;
  readonly #blockMs: number;
  readonly #shutdownGraceMs: number;
  readonly #display: string;
  readonly #secrets: string[];
  readonly #consumers = new Set<{ stop(): void; done: Promise<void> }>();
  #closed = false;

  constructor(redis: Redis, target: RedisTarget, options: RedisEventStoreOptions) {
    this.#redis = redis;
    this.#keys = keysFor(target.keyPrefix);
    this.#scripts = new RedisScripts(redis, this.#keys);
    this.#bell = new Bell(redis, this.#keys.bell);
    this.#visibilityTimeoutMs = target.visibilityTimeoutMs ?? options.visibilityTimeoutMs ??
      DEFAULT_VISIBILITY_TIMEOUT_MS;
    this.#deadlineMs = target.commandTimeoutMs ?? options.commandTimeoutMs ??
      DEFAULT_COMMAND_TIMEOUT_MS;
    this.#blockMs = options.blockMs ?? DEFAULT_BLOCK_MS;
    this.#shutdownGraceMs = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
    this.#display = target.display;
    this.#secrets = target.password === null ? [] : [target.password];
  }

  /**
   * Runs one call to Redis within the store's deadline. The client's own command timeout
   * starts only once a command is written, and auto-pipelining holds new commands back
   * while an earlier batch waits: bounding the call itself is what keeps every answer
   * within the deadline when Redis stalls. A call cut off may still run later; every state
   * change is idempotent or guarded (a claim, a lease id), so that is harmless.
   */
  async #call<T>(action: string, run: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error("event store is closed");
    let result: T | typeof TIMED_OUT;
    try {
      result = await within(run(), this.#deadlineMs);
    } catch (error) {
      throw this.#error(action, error);
    }
    if (result === TIMED_OUT) {
      throw this.#error(action, `no answer within ${this.#deadlineMs} ms`);
    }
    return result;
  }

  /** Turns any client error into one that names the server and never the password. */
  #error(action: string, error: unknown): Error {
    let reason = errorMessage(error);
    for (const secret of this.#secrets) reason = reason.replaceAll(secret, "***");
    return new Error(`redis ${this.#display}: ${action} failed: ${reason}`);
  }

  /** Every instance on this Redis refuses a token revoked through any of them. */
  readonly revocations: SharedRevocations = {
    revoke: async (tokenId, keepMs) => {
      await this.#call(
        "token revocation",
        () => this.#redis.set(this.#keys.revokedToken(tokenId), "1", "PX", Math.ceil(keepMs)),
      );
    },
    isRevoked: async (tokenId) =>
      await this.#call(
        "token revocation check",
        () => this.#redis.exists(this.#keys.revokedToken(tokenId)),
      ) === 1,
  };

  /** Takes over what an earlier version's layout left pending (see lua.ts ADOPT). */
  async adoptPreviousLayout(): Promise<void> {
    await this.#call("upgrade of the key layout", () => this.#scripts.adoptPreviousLayout());
  }

  async accept(event: IncomingEvent): Promise<AcceptOutcome> {
    const accepted = await this.#call(
      "accept",
      () =>
        this.#scripts.accept({
          ...event,
          member: memberOf(event.route, event.key),
          aliasMembers: (event.aliasKeys ?? []).map((alias) => memberOf(event.route, alias)),
        }),
    );
    return accepted ? "accepted" : "duplicate";
  }

  async get(route: string, key: string): Promise<StoredEvent | null> {
    const hash = await this.#call(
      "get",
      () => this.#redis.hgetallBuffer(this.#keys.record(memberOf(route, key))),
    );
    return decodeEvent(hash);
  }

  /**
   * Newest first (by the time each event was received). Summaries (`withoutPayloads`) read
   * every field but the payload, and the payload's length: a live view listing each second
   * does not move every body over the network.
   */
  async list(options: ListOptions): Promise<StoredEvent[]> {
    if (options.limit <= 0) return [];
    const statuses = options.status === undefined ? STATUSES : [options.status];
    return await this.#call("list", async () => {
      const found: { member: string; receivedAtMs: number }[] = [];
      for (const status of statuses) {
        const index = this.#keys.statusIndex(status, options.route);
        const reply = await this.#redis.zrevrange(index, 0, options.limit - 1, "WITHSCORES");
        for (let i = 0; i + 1 < reply.length; i += 2) {
          found.push({ member: reply[i] as string, receivedAtMs: Number(reply[i + 1]) });
        }
      }
      found.sort((a, b) => b.receivedAtMs - a.receivedAtMs);
      const members = found.slice(0, options.limit).map((entry) => entry.member);
      if (members.length === 0) return [];
      const summaries = options.withoutPayloads === true;
      const pipeline = this.#redis.pipeline();
      for (const member of members) {
        const record = this.#keys.record(member);
        if (summaries) pipeline.hmgetBuffer(record, ...SUMMARY_FIELDS).hstrlen(record, "payload");
        else pipeline.hgetallBuffer(record);
      }
      const replies = (await pipeline.exec()) ?? [];
      const events: StoredEvent[] = [];
      const step = summaries ? 2 : 1;
      for (let i = 0; i < replies.length; i += step) {
        const [error, reply] = replies[i] as [Error | null, unknown];
        if (error) throw error;
        let stored: StoredEvent | null;
        if (summaries) {
          const [lengthError, length] = replies[i + 1] as [Error | null, unknown];
          if (lengthError) throw lengthError;
          stored = summaryOf(reply as readonly unknown[], Number(length ?? 0));
        } else stored = decodeEvent(reply as Record<string, unknown>);
        // A done record past its retention is gone; an event may have moved on meanwhile.
        if (stored === null) continue;
        if (options.status !== undefined && stored.status !== options.status) continue;
        events.push(stored);
      }
      return events;
    });
  }

  async redeliver(route: string, key: string): Promise<RedeliverResult> {
    return await this.#call("redeliver", () => this.#scripts.redeliver(memberOf(route, key)));
  }

  async lease(options: LeaseOptions): Promise<Lease | null> {
    const held = await this.#waitForLease(options.route, options.leaseMs, 0, {
      waitMs: options.waitMs,
      signal: options.signal,
    });
    if (held === null) return null;
    const { event, leaseId, expiresAtMs } = held;
    return { event, leaseId, expiresAtMs };
  }

  #waitForLease(
    route: string | undefined,
    leaseMs: number,
    maxAttempts: number,
    wait: { waitMs: number; signal?: AbortSignal | undefined },
  ): Promise<HeldLease | null> {
    if (this.#closed) return Promise.reject(new Error("event store is closed"));
    return waitForLease({
      attempt: (leaseId) =>
        this.#call("lease", () => this.#scripts.lease({ route, leaseMs, leaseId, maxAttempts })),
      bell: this.#bell,
      waitMs: wait.waitMs,
      pollMs: this.#blockMs,
      signal: wait.signal,
    });
  }

  async settle(
    lease: { route: string; key: string; leaseId: string },
    settlement: Settlement,
    policy: RetryPolicy,
  ): Promise<SettleResult> {
    const member = memberOf(lease.route, lease.key);
    const leaseId = String(lease.leaseId ?? "");
    if (settlement.ok) {
      return await this.#settle(member, leaseId, "ok", "", 0, policy.maxAttempts);
    }
    // The delay matters only when the event is retried, i.e. after the attempt the lease counted.
    const attempt = Number(
      await this.#call("settle", () => this.#redis.hget(this.#keys.record(member), "attempt")),
    );
    return await this.#settle(
      member,
      leaseId,
      settlement.retry === false ? "dead" : "retry",
      settlement.error,
      policy.retryDelayMs(attempt),
      policy.maxAttempts,
    );
  }

  #settle(
    member: string,
    leaseId: string,
    verdict: Verdict,
    error: string,
    delayMs: number,
    maxAttempts: number,
  ): Promise<SettleResult> {
    return this.#call(
      "settle",
      () => this.#scripts.settle({ member, leaseId, verdict, error, delayMs, maxAttempts }),
    );
  }

  consume(handler: EventHandler, options: ConsumeOptions): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("event store is closed"));
    if (options.signal.aborted) return Promise.resolve();
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    options.signal.addEventListener("abort", onAbort, { once: true });
    const store = {
      next: (maxAttempts: number, signal: AbortSignal) =>
        this.#waitForLease(undefined, this.#visibilityTimeoutMs, maxAttempts, {
          waitMs: this.#blockMs,
          signal,
        }),
      settle: (lease: HeldLease, verdict: Verdict, error: string, delayMs: number, max: number) =>
        this.#settle(lease.member, lease.leaseId, verdict, error, delayMs, max),
      extend: (lease: HeldLease) =>
        this.#call(
          "extend",
          () => this.#scripts.extend({ ...lease, leaseMs: this.#visibilityTimeoutMs }),
        ),
      release: (lease: HeldLease) => this.#call("release", () => this.#scripts.release(lease)),
      isOpen: () => !this.#closed,
    };
    const consumer = new PushConsumer(store, handler, options, {
      leaseMs: this.#visibilityTimeoutMs,
      graceMs: options.graceMs ?? this.#shutdownGraceMs,
    }, stop.signal);
    const done = consumer.run().finally(() => {
      options.signal.removeEventListener("abort", onAbort);
    });
    const entry = { stop: () => stop.abort(), done: done.catch(() => {}) };
    this.#consumers.add(entry);
    return done.finally(() => this.#consumers.delete(entry));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    for (const consumer of this.#consumers) consumer.stop();
    await Promise.all([...this.#consumers].map((consumer) => consumer.done));
    this.#closed = true;
    this.#bell.close();
    try {
      await this.#redis.quit();
    } catch {
      // Redis is away: nothing to flush, just drop the socket.
    }
    this.#redis.disconnect();
  }
}

/**
 * Connects to the Redis a store spec names and returns its event store. Rejects (without
 * the password in the message) when the spec is invalid (StoreSpecError) or Redis cannot be
 * reached or refuses the credentials.
 */
export async function openRedisEventStore(
  spec: string,
  options: RedisEventStoreOptions = {},
): Promise<RedisEventStore> {
  const parsed = parseRedisUrl(spec, { password: options.password });
  if (!parsed.ok) throw new StoreSpecError(parsed.reason);
  const target = parsed.value;
  if (options.keyPrefix !== undefined && !new URL(spec).searchParams.has("prefix")) {
    target.keyPrefix = options.keyPrefix;
  }
  const redis = await connectRedis(target, {
    commandTimeoutMs: target.commandTimeoutMs ?? options.commandTimeoutMs ??
      DEFAULT_COMMAND_TIMEOUT_MS,
    connectTimeoutMs: options.connectTimeoutMs,
  });
  const store = new RedisEventStore(redis, target, options);
  try {
    await store.adoptPreviousLayout();
  } catch (error) {
    await store.close();
    throw error;
  }
  if (options.warn) {
    const warnings = await durabilityWarnings(redis, target.display).catch(() => []);
    for (const warning of warnings) options.warn(warning);
    const skew = await clockWarning(redis, target.display, options.now ?? Date.now)
      .catch(() => null);
    if (skew !== null) options.warn(skew);
  }
  return store;
}

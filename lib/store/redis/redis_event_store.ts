import { Buffer } from "node:buffer";
import { Redis } from "npm:ioredis@6.0.0";
import type {
  AcceptOutcome,
  ConsumeOptions,
  EventStatus,
  EventStore,
  HandlerOutcome,
  IncomingEvent,
  StoredEvent,
} from "../event_store.ts";
import { parseRedisUrl, type RedisTarget } from "./redis_url.ts";

/*
 * Layout in Redis (P = `{prefix}`: the braces are a hash tag, so every key lands
 * in one slot and the scripts stay valid on Redis Cluster too; M = member =
 * encodeURIComponent(route) + ":" + key):
 *
 *   P:c:M          claim string              SET NX PX retentionMs
 *   P:e:M          event hash                route,key,id,payload,attempt,status,gen,…
 *                                             done: PEXPIRE retentionMs; pending/dead: kept
 *   P:inbox        stream {m: M, g: gen}     consumer group "hookgate"
 *   P:retry        zset gen|M → due ms       failed attempts waiting for their delay
 *   P:dead-letters stream {m, g, error, attempts}  one entry per dead letter
 *   P:s:pending    zset M → receivedAtMs     list({status}) indexes
 *   P:s:done       zset M → expiry ms
 *   P:s:dead       zset M → died at ms
 *
 * Every state change is one Lua script (atomic; with appendfsync always the reply
 * is sent only after the AOF holds it). `gen` changes on redeliver, so a stream
 * entry of an older cycle is recognised as stale and dropped. A worker that takes
 * an entry (XREADGROUP or XAUTOCLAIM) keeps it fresh with XCLAIM … JUSTID while
 * its handler runs; an entry whose worker went silent for visibilityTimeoutMs is
 * taken over by another instance (XAUTOCLAIM), and its attempt counts.
 * Times inside scripts come from Redis's TIME: the one clock a fleet shares.
 */

const GROUP = "hookgate";
const DEFAULT_VISIBILITY_TIMEOUT_MS = 30_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_BLOCK_MS = 1_000;
const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/** Dead-letter stream entries kept (approximately); the records themselves stay until redelivered. */
const DEAD_LETTER_STREAM_MAX = 10_000;
const CONSUMER_SWEEP_INTERVAL_MS = 60_000;
/** How often a consumer moves retries whose delay has passed back into the inbox. */
const PROMOTE_INTERVAL_MS = 100;
const MAX_ERROR_CHARS = 2_000;

const NOW_MS_LUA = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** Marks an event dead: used when its last attempt failed or its workers kept dying. */
const BURY_LUA = `local function bury(rec, pend, deadz, deadstream, member, gen, err, attempts)
  redis.call('HSET', rec, 'status', 'dead', 'lastError', err, 'hasError', '1')
  redis.call('ZREM', pend, member)
  redis.call('ZADD', deadz, now, member)
  local did = redis.call('XADD', deadstream, 'MAXLEN', '~', ${DEAD_LETTER_STREAM_MAX}, '*',
    'm', member, 'g', gen, 'error', err, 'attempts', attempts)
  redis.call('HSET', rec, 'did', did)
end`;

/** Acknowledges and removes one inbox entry, but only while `consumer` owns it. */
const RELEASE_IF_MINE_LUA = `local function release_if_mine(inbox, group, sid, consumer)
  local p = redis.call('XPENDING', inbox, group, sid, sid, 1)
  if p[1] and p[1][2] == consumer then
    redis.call('XACK', inbox, group, sid)
    redis.call('XDEL', inbox, sid)
  end
end`;

const SCRIPTS = {
  // KEYS: claim, record, inbox, pending, done
  // ARGV: retentionMs, route, key, id, hasId, payload, receivedAtMs, gen, member
  hgAccept: {
    numberOfKeys: 5,
    lua: `local status = redis.call('HGET', KEYS[2], 'status')
if status and status ~= 'done' then return 0 end
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 0 end
if status then
  redis.call('DEL', KEYS[2])
  redis.call('ZREM', KEYS[5], ARGV[9])
end
redis.call('HSET', KEYS[2], 'route', ARGV[2], 'key', ARGV[3], 'id', ARGV[4], 'hasId', ARGV[5],
  'payload', ARGV[6], 'receivedAtMs', ARGV[7], 'retentionMs', ARGV[1], 'attempt', 0,
  'status', 'pending', 'lastError', '', 'hasError', '0', 'gen', ARGV[8], 'did', '')
redis.call('ZADD', KEYS[4], ARGV[7], ARGV[9])
redis.call('XADD', KEYS[3], '*', 'm', ARGV[9], 'g', ARGV[8])
return 1`,
  },
  // KEYS: record, inbox, pending, deadz, deadstream
  // ARGV: gen, sid, group, maxAttempts, member
  // → nil (stale: dropped) | 0 (buried: attempts used up by lost workers) | the event's fields
  hgStart: {
    numberOfKeys: 5,
    lua: `${NOW_MS_LUA}
${BURY_LUA}
local rec = redis.call('HMGET', KEYS[1], 'gen', 'status', 'attempt')
if rec[1] ~= ARGV[1] or rec[2] ~= 'pending' then
  redis.call('XACK', KEYS[2], ARGV[3], ARGV[2])
  redis.call('XDEL', KEYS[2], ARGV[2])
  return nil
end
local attempt = tonumber(rec[3])
if attempt >= tonumber(ARGV[4]) then
  redis.call('XACK', KEYS[2], ARGV[3], ARGV[2])
  redis.call('XDEL', KEYS[2], ARGV[2])
  bury(KEYS[1], KEYS[3], KEYS[4], KEYS[5], ARGV[5], ARGV[1],
    'attempt ' .. attempt .. ' never reported back (its worker was lost)', attempt)
  return 0
end
attempt = attempt + 1
redis.call('HSET', KEYS[1], 'attempt', attempt)
local f = redis.call('HMGET', KEYS[1], 'route', 'key', 'id', 'hasId', 'payload', 'receivedAtMs',
  'lastError', 'hasError')
return {attempt, f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]}`,
  },
  // KEYS: record, inbox, pending, done
  // ARGV: gen, attempt, sid, group, member, consumer
  hgDone: {
    numberOfKeys: 4,
    lua: `${NOW_MS_LUA}
${RELEASE_IF_MINE_LUA}
local rec = redis.call('HMGET', KEYS[1], 'gen', 'attempt', 'status', 'retentionMs')
if rec[1] ~= ARGV[1] or rec[2] ~= ARGV[2] or rec[3] ~= 'pending' then
  release_if_mine(KEYS[2], ARGV[4], ARGV[3], ARGV[6])
  return 0
end
redis.call('XACK', KEYS[2], ARGV[4], ARGV[3])
redis.call('XDEL', KEYS[2], ARGV[3])
redis.call('HSET', KEYS[1], 'status', 'done', 'lastError', '', 'hasError', '0')
redis.call('PEXPIRE', KEYS[1], rec[4])
redis.call('ZREM', KEYS[3], ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
redis.call('ZADD', KEYS[4], now + tonumber(rec[4]), ARGV[5])
return 1`,
  },
  // KEYS: record, inbox, pending, deadz, deadstream, retry
  // ARGV: gen, attempt, sid, group, member, consumer, error, maxAttempts, delayMs
  hgFailed: {
    numberOfKeys: 6,
    lua: `${NOW_MS_LUA}
${BURY_LUA}
${RELEASE_IF_MINE_LUA}
local rec = redis.call('HMGET', KEYS[1], 'gen', 'attempt', 'status')
if rec[1] ~= ARGV[1] or rec[2] ~= ARGV[2] or rec[3] ~= 'pending' then
  release_if_mine(KEYS[2], ARGV[4], ARGV[3], ARGV[6])
  return 0
end
redis.call('XACK', KEYS[2], ARGV[4], ARGV[3])
redis.call('XDEL', KEYS[2], ARGV[3])
if tonumber(ARGV[2]) >= tonumber(ARGV[8]) then
  bury(KEYS[1], KEYS[3], KEYS[4], KEYS[5], ARGV[5], ARGV[1], ARGV[7], ARGV[2])
  return 2
end
redis.call('HSET', KEYS[1], 'lastError', ARGV[7], 'hasError', '1')
redis.call('ZADD', KEYS[6], now + tonumber(ARGV[9]), ARGV[1] .. '|' .. ARGV[5])
return 1`,
  },
  // KEYS: retry, inbox   ARGV: limit
  hgPromote: {
    numberOfKeys: 2,
    lua: `${NOW_MS_LUA}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, v in ipairs(due) do
  local sep = string.find(v, '|', 1, true)
  redis.call('XADD', KEYS[2], '*', 'm', string.sub(v, sep + 1), 'g', string.sub(v, 1, sep - 1))
  redis.call('ZREM', KEYS[1], v)
end
return #due`,
  },
  // KEYS: inbox   ARGV: group, consumer, sid…
  hgTouch: {
    numberOfKeys: 1,
    lua: `local kept = 0
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if p[1] and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    kept = kept + 1
  end
end
return kept`,
  },
  // KEYS: record, inbox, pending, done, deadz, deadstream   ARGV: member, gen
  hgRedeliver: {
    numberOfKeys: 6,
    lua: `local rec = redis.call('HMGET', KEYS[1], 'status', 'did', 'receivedAtMs')
if not rec[1] then return 0 end
redis.call('HSET', KEYS[1], 'status', 'pending', 'attempt', 0, 'lastError', '', 'hasError', '0',
  'gen', ARGV[2], 'did', '')
redis.call('PERSIST', KEYS[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('ZADD', KEYS[3], rec[3], ARGV[1])
if rec[2] and rec[2] ~= '' then redis.call('XDEL', KEYS[6], rec[2]) end
redis.call('XADD', KEYS[2], '*', 'm', ARGV[1], 'g', ARGV[2])
return 1`,
  },
} as const;

type ScriptName = keyof typeof SCRIPTS;
type Arg = string | number | Buffer;
/** ioredis adds one method per defined script, plus a `…Buffer` twin whose replies stay bytes. */
type ScriptClient =
  & {
    [K in ScriptName]: (...args: Arg[]) => Promise<unknown>;
  }
  & { hgStartBuffer(...args: Arg[]): Promise<unknown> };

export interface RedisEventStoreOptions {
  /** REDIS_PASSWORD; used when the URL carries none. Never logged. */
  password?: string | undefined;
  /** This instance's name in the consumer group; unique per process by default. */
  consumerName?: string;
  /** A silent worker's events are taken over after this long (the URL's visibility_timeout wins). */
  visibilityTimeoutMs?: number;
  /** Key prefix (the URL's ?prefix= wins); isolates gateways sharing one Redis. */
  keyPrefix?: string;
  /** A command without an answer after this long fails (503), instead of hanging the request. */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** How long one XREADGROUP waits for new events before the loop looks at retries and reclaims. */
  blockMs?: number;
  /** How long consume() waits for running handlers after its signal aborts. */
  shutdownGraceMs?: number;
  /** Unused: every time is taken from Redis (TIME), the clock the whole fleet shares. */
  now?: () => number;
  /** Told once at start-up when Redis is not set up to keep what it acknowledged (no AOF …). */
  warn?: (line: string) => void;
}

interface Keys {
  inbox: string;
  retry: string;
  deadLetters: string;
  pending: string;
  done: string;
  dead: string;
  claim(member: string): string;
  record(member: string): string;
  statusSet(status: EventStatus): string;
}

function keysFor(prefix: string): Keys {
  const p = `{${prefix}}`;
  return {
    inbox: `${p}:inbox`,
    retry: `${p}:retry`,
    deadLetters: `${p}:dead-letters`,
    pending: `${p}:s:pending`,
    done: `${p}:s:done`,
    dead: `${p}:s:dead`,
    claim: (member) => `${p}:c:${member}`,
    record: (member) => `${p}:e:${member}`,
    statusSet: (status) => `${p}:s:${status}`,
  };
}

function memberOf(route: string, key: string): string {
  return `${encodeURIComponent(route)}:${key}`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function asBytes(payload: Uint8Array): Buffer {
  return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

function text(value: unknown): string {
  if (value === null || value === undefined) return "";
  return Buffer.isBuffer(value) ? value.toString("utf8") : String(value);
}

function bytes(value: unknown): Uint8Array {
  if (Buffer.isBuffer(value)) return new Uint8Array(value.buffer, value.byteOffset, value.length);
  return new TextEncoder().encode(text(value));
}

type StreamEntry = [id: string, fields: string[]];

function fieldOf(fields: string[], name: string): string | null {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === name) return fields[i + 1] as string;
  }
  return null;
}

function isStatus(value: string): value is EventStatus {
  return value === "pending" || value === "done" || value === "dead";
}

function storedFromHash(hash: Record<string, Buffer>): StoredEvent | null {
  const status = text(hash.status);
  if (!isStatus(status)) return null;
  return {
    route: text(hash.route),
    key: text(hash.key),
    id: text(hash.hasId) === "1" ? text(hash.id) : null,
    payload: bytes(hash.payload ?? Buffer.alloc(0)),
    receivedAtMs: Number(text(hash.receivedAtMs)),
    attempt: Number(text(hash.attempt)),
    status,
    lastError: text(hash.hasError) === "1" ? text(hash.lastError) : null,
  };
}

/**
 * The Redis backend (`--store redis://…`): several `serve` instances behind a
 * load balancer share claims and one inbox. Every failure to reach Redis is a
 * rejected promise (the handler answers 503), never an "accepted" that is not
 * in Redis; the client reconnects on its own when Redis is back.
 */
export class RedisEventStore implements EventStore {
  readonly #redis: Redis;
  readonly #scripts: ScriptClient;
  readonly #keys: Keys;
  readonly #consumer: string;
  readonly #visibilityTimeoutMs: number;
  readonly #blockMs: number;
  readonly #shutdownGraceMs: number;
  readonly #display: string;
  readonly #secrets: string[];
  readonly #consumers = new Set<{ stop(): void; done: Promise<void> }>();
  #closed = false;

  constructor(redis: Redis, target: RedisTarget, options: RedisEventStoreOptions) {
    this.#redis = redis;
    for (const [name, script] of Object.entries(SCRIPTS)) redis.defineCommand(name, script);
    this.#scripts = redis as unknown as ScriptClient;
    this.#keys = keysFor(target.keyPrefix);
    this.#consumer = options.consumerName ??
      `hookgate-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    this.#visibilityTimeoutMs = target.visibilityTimeoutMs ?? options.visibilityTimeoutMs ??
      DEFAULT_VISIBILITY_TIMEOUT_MS;
    this.#blockMs = options.blockMs ?? DEFAULT_BLOCK_MS;
    this.#shutdownGraceMs = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
    this.#display = target.display;
    this.#secrets = target.password === null ? [] : [target.password];
  }

  /** The consumer-group name this instance reads as. */
  get consumerName(): string {
    return this.#consumer;
  }

  /** Turns any client error into one that names the server and never the password. */
  #error(action: string, error: unknown): Error {
    let reason = messageOf(error);
    for (const secret of this.#secrets) reason = reason.replaceAll(secret, "***");
    return new Error(`redis ${this.#display}: ${action} failed: ${reason}`);
  }

  async #call<T>(action: string, run: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error("event store is closed");
    try {
      return await run();
    } catch (error) {
      throw this.#error(action, error);
    }
  }

  async accept(event: IncomingEvent): Promise<AcceptOutcome> {
    const member = memberOf(event.route, event.key);
    const result = await this.#call("accept", () =>
      this.#scripts.hgAccept(
        this.#keys.claim(member),
        this.#keys.record(member),
        this.#keys.inbox,
        this.#keys.pending,
        this.#keys.done,
        Math.max(1, Math.round(event.retentionMs)),
        event.route,
        event.key,
        event.id ?? "",
        event.id === null ? "0" : "1",
        asBytes(event.payload),
        event.receivedAtMs,
        crypto.randomUUID(),
        member,
      ));
    return result === 1 ? "accepted" : "duplicate";
  }

  async get(route: string, key: string): Promise<StoredEvent | null> {
    const hash = await this.#call(
      "get",
      () => this.#redis.hgetallBuffer(this.#keys.record(memberOf(route, key))),
    );
    return storedFromHash(hash);
  }

  async list(options: { status: EventStatus; limit: number }): Promise<StoredEvent[]> {
    if (options.limit <= 0) return [];
    const index = this.#keys.statusSet(options.status);
    return await this.#call("list", async () => {
      if (options.status === "done") {
        const [seconds, micros] = await this.#redis.time();
        const nowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
        await this.#redis.zremrangebyscore(index, "-inf", nowMs);
      }
      const members = await this.#redis.zrange(index, "0", String(options.limit - 1));
      if (members.length === 0) return [];
      const pipeline = this.#redis.pipeline();
      for (const member of members) pipeline.hgetallBuffer(this.#keys.record(member));
      const replies = (await pipeline.exec()) ?? [];
      const out: StoredEvent[] = [];
      const gone: string[] = [];
      replies.forEach(([error, hash], i) => {
        if (error) throw error;
        const stored = storedFromHash(hash as Record<string, Buffer>);
        if (stored === null || stored.status !== options.status) gone.push(members[i] as string);
        else out.push(stored);
      });
      // Index entries whose record expired (done events past retention).
      if (gone.length > 0 && options.status === "done") await this.#redis.zrem(index, ...gone);
      return out;
    });
  }

  async redeliver(route: string, key: string): Promise<boolean> {
    const member = memberOf(route, key);
    const result = await this.#call("redeliver", () =>
      this.#scripts.hgRedeliver(
        this.#keys.record(member),
        this.#keys.inbox,
        this.#keys.pending,
        this.#keys.done,
        this.#keys.dead,
        this.#keys.deadLetters,
        member,
        crypto.randomUUID(),
      ));
    return result === 1;
  }

  async #ensureGroup(client: Redis): Promise<void> {
    try {
      await client.xgroup("CREATE", this.#keys.inbox, GROUP, "0", "MKSTREAM");
    } catch (error) {
      if (!/BUSYGROUP/.test(messageOf(error))) throw error;
    }
  }

  consume(
    handler: (event: StoredEvent) => Promise<HandlerOutcome>,
    options: ConsumeOptions,
  ): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("event store is closed"));
    if (options.signal.aborted) return Promise.resolve();
    // XREADGROUP BLOCK holds its connection: it gets its own, so accepts never wait behind it.
    const blocking = this.#redis.duplicate({ commandTimeout: undefined });
    blocking.on("error", () => {});
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    options.signal.addEventListener("abort", onAbort, { once: true });
    const done = this.#consumeLoop(blocking, handler, options, stop.signal).finally(() => {
      options.signal.removeEventListener("abort", onAbort);
      blocking.disconnect();
    });
    const entry = { stop: () => stop.abort(), done: done.catch(() => {}) };
    this.#consumers.add(entry);
    return done.finally(() => this.#consumers.delete(entry));
  }

  async #consumeLoop(
    blocking: Redis,
    handler: (event: StoredEvent) => Promise<HandlerOutcome>,
    options: ConsumeOptions,
    signal: AbortSignal,
  ): Promise<void> {
    const running = new Set<Promise<void>>();
    const held = new Set<string>();
    const concurrency = Math.max(1, options.concurrency);
    const onAbort = () => blocking.disconnect();
    signal.addEventListener("abort", onAbort, { once: true });
    const heartbeat = setInterval(() => {
      if (held.size === 0) return;
      this.#scripts.hgTouch(this.#keys.inbox, GROUP, this.#consumer, ...held).catch(() => {});
    }, Math.max(50, Math.floor(this.#visibilityTimeoutMs / 3)));
    let groupReady = false;
    let reclaimCursor = "0-0";
    let lastReclaimMs = 0;
    let lastPromoteMs = 0;
    let lastSweepMs = Date.now();
    let failures = 0;
    // Entries already ours whose XREADGROUP reply may have been lost (a cut connection,
    // a restarted process with the same name): read our own pending list first.
    let ownCursor: string | null = "0";
    try {
      await blocking.connect().catch(() => {});
      while (!signal.aborted) {
        const free = concurrency - running.size;
        if (free <= 0) {
          await Promise.race([...running, sleep(this.#blockMs, signal)]);
          continue;
        }
        try {
          if (!groupReady) {
            await this.#ensureGroup(this.#redis);
            groupReady = true;
          }
          let entries: StreamEntry[] = [];
          const nowMs = Date.now();
          if (nowMs - lastPromoteMs >= PROMOTE_INTERVAL_MS) {
            await this.#scripts.hgPromote(this.#keys.retry, this.#keys.inbox, 100);
            lastPromoteMs = nowMs;
          }
          if (nowMs - lastReclaimMs >= Math.min(this.#visibilityTimeoutMs / 2, 5_000)) {
            const reply = await this.#redis.xautoclaim(
              this.#keys.inbox,
              GROUP,
              this.#consumer,
              this.#visibilityTimeoutMs,
              reclaimCursor,
              "COUNT",
              free,
            ) as [string, StreamEntry[] | null, string[]?];
            reclaimCursor = reply[0];
            // An entry of ours still running (its heartbeats failed during an outage) stays with its handler.
            entries = (reply[1] ?? []).filter((entry) =>
              entry !== null && entry[1] !== null && !held.has(entry[0])
            );
            if (reclaimCursor === "0-0") lastReclaimMs = nowMs;
          }
          if (nowMs - lastSweepMs >= CONSUMER_SWEEP_INTERVAL_MS) {
            lastSweepMs = nowMs;
            await this.#sweepConsumers();
          }
          if (entries.length === 0 && ownCursor !== null) {
            const reply = await this.#redis.xreadgroup(
              "GROUP",
              GROUP,
              this.#consumer,
              "COUNT",
              100,
              "STREAMS",
              this.#keys.inbox,
              ownCursor,
            ) as [string, StreamEntry[]][] | null;
            const own = reply?.[0]?.[1] ?? [];
            const candidates = own.filter(([sid, fields]) => fields !== null && !held.has(sid));
            entries = candidates.slice(0, free);
            if (candidates.length > free) {
              ownCursor = (entries[entries.length - 1] as StreamEntry)[0];
            } else ownCursor = own.length < 100 ? null : (own[own.length - 1] as StreamEntry)[0];
          }
          if (entries.length === 0) {
            if (blocking.status !== "ready") await blocking.connect().catch(() => {});
            const reply = await blocking.xreadgroup(
              "GROUP",
              GROUP,
              this.#consumer,
              "COUNT",
              free,
              "BLOCK",
              this.#blockMs,
              "STREAMS",
              this.#keys.inbox,
              ">",
            ) as [string, StreamEntry[]][] | null;
            entries = reply?.[0]?.[1] ?? [];
          }
          failures = 0;
          for (const [sid, fields] of entries) {
            const task = this.#deliver(sid, fields, handler, options, held)
              .catch(() => {}) // an entry we could not finish is reclaimed after the timeout
              .finally(() => running.delete(task));
            running.add(task);
          }
        } catch (error) {
          if (signal.aborted) break;
          if (/NOGROUP/.test(messageOf(error))) groupReady = false;
          failures++;
          ownCursor = "0";
          // Redis is away: back off, the clients reconnect on their own.
          await sleep(Math.min(2_000, 50 * 2 ** Math.min(failures, 6)), signal);
        }
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      if (running.size > 0) {
        await Promise.race([Promise.all(running), sleep(this.#shutdownGraceMs)]);
      }
      clearInterval(heartbeat);
    }
  }

  async #deliver(
    sid: string,
    fields: string[],
    handler: (event: StoredEvent) => Promise<HandlerOutcome>,
    options: ConsumeOptions,
    held: Set<string>,
  ): Promise<void> {
    const member = fieldOf(fields, "m");
    const gen = fieldOf(fields, "g");
    if (member === null || gen === null) {
      await this.#redis.xack(this.#keys.inbox, GROUP, sid);
      await this.#redis.xdel(this.#keys.inbox, sid);
      return;
    }
    held.add(sid);
    try {
      const started = await this.#scripts.hgStartBuffer(
        this.#keys.record(member),
        this.#keys.inbox,
        this.#keys.pending,
        this.#keys.dead,
        this.#keys.deadLetters,
        gen,
        sid,
        GROUP,
        options.maxAttempts,
        member,
      );
      if (!Array.isArray(started)) return;
      const [attempt, route, key, id, hasId, payload, receivedAtMs, lastError, hasError] =
        started as unknown[];
      const event: StoredEvent = {
        route: text(route),
        key: text(key),
        id: text(hasId) === "1" ? text(id) : null,
        payload: bytes(payload),
        receivedAtMs: Number(text(receivedAtMs)),
        attempt: Number(attempt),
        status: "pending",
        lastError: text(hasError) === "1" ? text(lastError) : null,
      };
      let outcome: HandlerOutcome;
      try {
        outcome = await handler(event);
      } catch (error) {
        outcome = { ok: false, error: messageOf(error) };
      }
      await this.#finish(sid, member, gen, event.attempt, outcome, options);
    } finally {
      held.delete(sid);
    }
  }

  /** Records a handler's outcome, retrying while Redis is away (the entry stays ours meanwhile). */
  async #finish(
    sid: string,
    member: string,
    gen: string,
    attempt: number,
    outcome: HandlerOutcome,
    options: ConsumeOptions,
  ): Promise<void> {
    const deadline = Date.now() + this.#visibilityTimeoutMs;
    for (let round = 0;; round++) {
      try {
        if (outcome.ok) {
          await this.#scripts.hgDone(
            this.#keys.record(member),
            this.#keys.inbox,
            this.#keys.pending,
            this.#keys.done,
            gen,
            attempt,
            sid,
            GROUP,
            member,
            this.#consumer,
          );
        } else {
          await this.#scripts.hgFailed(
            this.#keys.record(member),
            this.#keys.inbox,
            this.#keys.pending,
            this.#keys.dead,
            this.#keys.deadLetters,
            this.#keys.retry,
            gen,
            attempt,
            sid,
            GROUP,
            member,
            this.#consumer,
            outcome.error.slice(0, MAX_ERROR_CHARS),
            options.maxAttempts,
            Math.max(0, Math.round(options.retryDelayMs(attempt))),
          );
        }
        return;
      } catch (error) {
        if (this.#closed || Date.now() >= deadline) throw error;
        await sleep(Math.min(1_000, 50 * 2 ** Math.min(round, 5)));
      }
    }
  }

  /** Forgets consumers (crashed instances) that hold nothing and have been silent for long. */
  async #sweepConsumers(): Promise<void> {
    const idleLimitMs = Math.max(3_600_000, 10 * this.#visibilityTimeoutMs);
    const consumers = await this.#redis.xinfo("CONSUMERS", this.#keys.inbox, GROUP) as unknown[][];
    for (const info of consumers) {
      const fields = info.map((value) => String(value));
      const name = fieldOf(fields, "name");
      const pending = Number(fieldOf(fields, "pending"));
      const idle = Number(fieldOf(fields, "idle"));
      if (name !== null && name !== this.#consumer && pending === 0 && idle > idleLimitMs) {
        await this.#redis.xgroup("DELCONSUMER", this.#keys.inbox, GROUP, name);
      }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    for (const consumer of this.#consumers) consumer.stop();
    await Promise.all([...this.#consumers].map((consumer) => consumer.done));
    this.#closed = true;
    try {
      await this.#redis.quit();
    } catch {
      // Redis is away: nothing to flush, just drop the socket.
    }
    this.#redis.disconnect();
  }
}

/**
 * Connects to the Redis a store spec names and returns its event store. Rejects
 * (without the password in the message) when the spec is invalid (TypeError)
 * or Redis cannot be reached or refuses the credentials.
 */
export async function openRedisEventStore(
  spec: string,
  options: RedisEventStoreOptions = {},
): Promise<RedisEventStore> {
  const parsed = parseRedisUrl(spec, { password: options.password });
  if (!parsed.ok) throw new TypeError(parsed.reason);
  const target = parsed.value;
  if (options.keyPrefix !== undefined && !new URL(spec).searchParams.has("prefix")) {
    target.keyPrefix = options.keyPrefix;
  }
  const redis = new Redis({
    host: target.host,
    port: target.port,
    db: target.db,
    ...(target.username === null ? {} : { username: target.username }),
    ...(target.password === null ? {} : { password: target.password }),
    ...(target.tls ? { tls: { servername: target.host } } : {}),
    lazyConnect: true,
    // Fail fast while disconnected: the request gets 503 and the sender retries.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // A command cut off by a disconnect may or may not have run: report it, never replay it.
    autoResendUnfulfilledCommands: false,
    enableAutoPipelining: true,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    retryStrategy: (times: number) => Math.min(1_000, 50 * times),
  });
  // Without a listener ioredis prints every reconnect error (with a stack) to the console.
  let lastError = "";
  redis.on("error", (error: unknown) => lastError = messageOf(error));
  const store = new RedisEventStore(redis, target, options);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    // "Connection is closed." hides the cause (WRONGPASS, NOAUTH …) that came as an error event.
    let reason = [...new Set([messageOf(error), lastError].filter((text) => text !== ""))]
      .join("; ");
    if (target.password !== null) reason = reason.replaceAll(target.password, "***");
    if (/NOAUTH/.test(reason)) reason = "NOAUTH: Redis requires a password";
    const hint = /WRONGPASS|NOAUTH|invalid password|invalid username/i.test(reason)
      ? " (check REDIS_PASSWORD and the user in the store URL)"
      : "";
    throw new Error(`cannot reach redis ${target.display}: ${reason}${hint}`);
  }
  if (options.warn) {
    const warning = await durabilityWarning(redis, target.display).catch(() => null);
    if (warning !== null) options.warn(warning);
  }
  return store;
}

/**
 * Why an "accepted" event could be lost by this Redis, or null when it is set up
 * as docs/deploy.md recommends. A Redis that denies CONFIG (managed services, ACL
 * users) is judged by INFO alone.
 */
async function durabilityWarning(redis: Redis, display: string): Promise<string | null> {
  const info = await redis.info("persistence");
  if (!/^aof_enabled:1\b/m.test(info)) {
    return `warning: redis ${display} has no AOF (appendonly no): a Redis crash can lose ` +
      `events already answered "accepted"; see docs/deploy.md`;
  }
  const policy = await redis.config("GET", "appendfsync").catch(() => null) as string[] | null;
  const fsync = policy?.[1];
  if (fsync !== undefined && fsync !== "always") {
    return `warning: redis ${display} has appendfsync ${fsync}: a machine crash can lose ` +
      `events already answered "accepted" (appendfsync always keeps them); see docs/deploy.md`;
  }
  return null;
}

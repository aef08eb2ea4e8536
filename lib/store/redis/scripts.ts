/**
 * One typed wrapper per Lua script. A script's arguments are named once, in the list
 * given to `defineScript`: the wrapper fills them from an object by name and the Lua
 * side reads them as `A.<name>`, so the two cannot disagree on an order.
 */
import { Buffer } from "node:buffer";
import type { Redis } from "npm:ioredis@6.0.0";
import type { RedeliverResult, SettleResult } from "../event_store.ts";
import { fieldsOf, text } from "./decode.ts";
import type { RedisKeys } from "./keys.ts";
import { ACCEPT, ADOPT, EXTEND, LEASE, PRELUDE, REDELIVER, RELEASE, SETTLE } from "./lua.ts";

type Arg = string | number | Buffer;
type Call = (...args: Arg[]) => Promise<unknown>;

function defineScript<const Names extends readonly string[]>(
  redis: Redis,
  name: string,
  names: Names,
  body: string,
  options: { bytes?: boolean } = {},
): (queueKey: string, tag: string, args: { [K in Names[number]]: Arg }) => Promise<unknown> {
  const header = `local P = ARGV[1]\nlocal A = {${
    names.map((arg, i) => `${arg} = ARGV[${i + 2}]`).join(", ")
  }}`;
  // One key (the queue) routes the script to its slot; every key shares the prefix's hash tag.
  redis.defineCommand(name, { numberOfKeys: 1, lua: `${header}\n${PRELUDE}\n${body}` });
  // ioredis adds one method per script, and a `…Buffer` twin whose replies stay bytes.
  const client = redis as unknown as Record<string, Call>;
  const method = options.bytes ? `${name}Buffer` : name;
  return (queueKey, tag, args) =>
    (client[method] as Call).call(
      redis,
      queueKey,
      tag,
      ...names.map((arg) => args[arg as Names[number]]),
    );
}

/** What `lease` found: a lease, or when the next event falls due (null: none is pending). */
export type LeaseReply =
  | { leased: true; expiresAtMs: number; fields: Record<string, Buffer> }
  | { leased: false; nextDueInMs: number | null; bellId: string };

export type Verdict = "ok" | "retry" | "dead";

function asBytes(payload: Uint8Array): Buffer {
  return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

export class RedisScripts {
  readonly #keys: RedisKeys;
  readonly #accept;
  readonly #lease;
  readonly #settle;
  readonly #extend;
  readonly #release;
  readonly #redeliver;
  readonly #adopt;

  constructor(redis: Redis, keys: RedisKeys) {
    this.#keys = keys;
    this.#accept = defineScript(redis, "hgAccept", [
      "member",
      "retentionMs",
      "route",
      "key",
      "id",
      "hasId",
      "payload",
      "receivedAtMs",
      "aliases",
    ], ACCEPT);
    this.#lease = defineScript(
      redis,
      "hgLease",
      ["route", "leaseMs", "leaseId", "maxAttempts"],
      LEASE,
      { bytes: true },
    );
    this.#settle = defineScript(redis, "hgSettle", [
      "member",
      "leaseId",
      "verdict",
      "error",
      "maxAttempts",
      "delayMs",
    ], SETTLE);
    this.#extend = defineScript(redis, "hgExtend", ["member", "leaseId", "leaseMs"], EXTEND);
    this.#release = defineScript(redis, "hgRelease", ["member", "leaseId"], RELEASE);
    this.#redeliver = defineScript(redis, "hgRedeliver", ["member"], REDELIVER);
    this.#adopt = defineScript(redis, "hgAdopt", [], ADOPT);
  }

  #run<T>(script: (queue: string, tag: string, args: T) => Promise<unknown>, args: T) {
    return script(this.#keys.queue, this.#keys.tag, args);
  }

  /** True when the event was claimed and recorded, false for a duplicate. */
  async accept(event: {
    member: string;
    retentionMs: number;
    route: string;
    key: string;
    id: string | null;
    payload: Uint8Array;
    receivedAtMs: number;
    /** Alias members (IncomingEvent.aliasKeys, as members), claimed in the same script. */
    aliasMembers?: string[];
  }): Promise<boolean> {
    const reply = await this.#run(this.#accept, {
      member: event.member,
      retentionMs: Math.max(1, Math.round(event.retentionMs)),
      route: event.route,
      key: event.key,
      id: event.id ?? "",
      hasId: event.id === null ? "0" : "1",
      payload: asBytes(event.payload),
      receivedAtMs: event.receivedAtMs,
      aliases: (event.aliasMembers ?? []).join("\n"),
    });
    return reply === 1;
  }

  /** `maxAttempts` 0: never bury at lease time (pull clients bring their policy to settle). */
  async lease(request: {
    route: string | undefined;
    leaseMs: number;
    leaseId: string;
    maxAttempts: number;
  }): Promise<LeaseReply> {
    const reply = await this.#run(this.#lease, {
      route: request.route === undefined ? "" : encodeURIComponent(request.route),
      leaseMs: Math.max(1, Math.round(request.leaseMs)),
      leaseId: request.leaseId,
      maxAttempts: request.maxAttempts,
    }) as unknown[];
    if (reply[0] === 1) {
      return { leased: true, expiresAtMs: Number(reply[1]), fields: fieldsOf(reply[2]) };
    }
    const [, nextDue, now, bellId] = reply as [unknown, number, number, unknown];
    return {
      leased: false,
      nextDueInMs: nextDue < 0 ? null : Math.max(0, nextDue - now),
      bellId: text(bellId),
    };
  }

  async settle(settlement: {
    member: string;
    leaseId: string;
    verdict: Verdict;
    error: string;
    maxAttempts: number;
    delayMs: number;
  }): Promise<SettleResult> {
    return await this.#run(this.#settle, {
      ...settlement,
      delayMs: Math.max(0, Math.round(settlement.delayMs)),
    }) as SettleResult;
  }

  /** False when the lease is no longer the event's. */
  async extend(lease: { member: string; leaseId: string; leaseMs: number }): Promise<boolean> {
    return await this.#run(this.#extend, {
      ...lease,
      leaseMs: Math.max(1, Math.round(lease.leaseMs)),
    }) === 1;
  }

  async release(lease: { member: string; leaseId: string }): Promise<boolean> {
    return await this.#run(this.#release, lease) === 1;
  }

  async redeliver(member: string): Promise<RedeliverResult> {
    const answer = await this.#run(this.#redeliver, { member });
    return answer === 1 ? "redelivered" : answer === 2 ? "pending" : "unknown";
  }

  /** Takes over the pending events of the previous layout; how many there were. */
  async adoptPreviousLayout(): Promise<number> {
    return Number(await this.#run(this.#adopt, {}));
  }
}

/**
 * Waiting for work without polling Redis: every change that makes an event due rings the
 * `{prefix}:bell` stream, and a waiter blocks (XREAD BLOCK) for an entry newer than the
 * one its last lease attempt saw, so an event accepted in between is never missed. A
 * blocking read holds its connection, so waiters get connections of their own, kept in a
 * small pool: the request path's connection never waits behind them.
 */
import type { Redis } from "npm:ioredis@6.0.0";
import { sleep } from "../../util/mod.ts";

/** A blocked read gets this long beyond its BLOCK time before its connection is cut. */
const BLOCK_SLACK_MS = 1_000;
/** After a failed read (Redis away), how long a waiter pauses before its caller tries again. */
const FAILED_READ_PAUSE_MS = 200;
const MAX_IDLE_CONNECTIONS = 4;

export class Bell {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #idle: Redis[] = [];
  readonly #open = new Set<Redis>();
  #closed = false;

  constructor(redis: Redis, key: string) {
    this.#redis = redis;
    this.#key = key;
  }

  /**
   * Resolves once the bell rang after `afterId`, after `ms`, or when `signal` aborts,
   * whichever comes first. Never rejects: a caller simply tries its lease again.
   */
  async wait(afterId: string, ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0 || this.#closed || signal?.aborted) return;
    const connection = this.#idle.pop() ?? this.#connection();
    let reusable = true;
    // A stopped Redis never answers a blocked read, and an abort must not wait for it.
    const cut = () => {
      reusable = false;
      connection.disconnect();
    };
    signal?.addEventListener("abort", cut, { once: true });
    const timer = setTimeout(cut, ms + BLOCK_SLACK_MS);
    try {
      if (connection.status !== "ready") await connection.connect();
      await connection.xread(
        "COUNT",
        1,
        "BLOCK",
        Math.max(1, Math.round(ms)),
        "STREAMS",
        this.#key,
        afterId,
      );
    } catch {
      reusable = false;
      await sleep(Math.min(ms, FAILED_READ_PAUSE_MS), signal);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", cut);
      if (reusable && !this.#closed && this.#idle.length < MAX_IDLE_CONNECTIONS) {
        this.#idle.push(connection);
      } else {
        this.#open.delete(connection);
        connection.disconnect();
      }
    }
  }

  #connection(): Redis {
    const connection = this.#redis.duplicate({
      commandTimeout: undefined,
      enableAutoPipelining: false,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    connection.on("error", () => {});
    this.#open.add(connection);
    return connection;
  }

  close(): void {
    this.#closed = true;
    for (const connection of this.#open) connection.disconnect();
    this.#open.clear();
    this.#idle.length = 0;
  }
}

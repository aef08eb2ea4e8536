/** Opening the connection to Redis, and what is said when that fails or Redis is not durable. */
import { isIP } from "node:net";
import { Redis } from "npm:ioredis@6.0.0";
import type { RedisTarget } from "./redis_url.ts";
import { errorMessage } from "../../util/mod.ts";

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/**
 * A connected client for `target`. Rejects with a message that names the server and the
 * likely fix, and never holds the password.
 */
export async function connectRedis(
  target: RedisTarget,
  options: { commandTimeoutMs: number; connectTimeoutMs?: number | undefined },
): Promise<Redis> {
  const redis = new Redis({
    host: target.host,
    port: target.port,
    db: target.db,
    ...(target.username === null ? {} : { username: target.username }),
    ...(target.password === null ? {} : { password: target.password }),
    // SNI carries names only (Node refuses an IP literal there); an IP is checked against the
    // certificate's IP addresses without it.
    ...(target.tls ? { tls: isIP(target.host) === 0 ? { servername: target.host } : {} } : {}),
    lazyConnect: true,
    // Fail fast while disconnected: the request gets 503 and the sender retries.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // A command cut off by a disconnect may or may not have run: report it, never replay it.
    autoResendUnfulfilledCommands: false,
    // Commands of one event-loop turn share one write. Their timeout starts only once written,
    // which is why the store also bounds every call itself (RedisEventStore's deadline).
    enableAutoPipelining: true,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    retryStrategy: (times: number) => Math.min(1_000, 50 * times),
  });
  // Without a listener ioredis prints every reconnect error (with a stack) to the console.
  let lastError = "";
  redis.on("error", (error: unknown) => lastError = errorMessage(error));
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    // "Connection is closed." hides the cause (WRONGPASS, NOAUTH …) that came as an error event.
    let reason = [...new Set([errorMessage(error), lastError].filter((text) => text !== ""))]
      .join("; ");
    if (target.password !== null) reason = reason.replaceAll(target.password, "***");
    if (/NOAUTH/.test(reason)) reason = "NOAUTH: Redis requires a password";
    const hint = /WRONGPASS|NOAUTH|invalid password|invalid username/i.test(reason)
      ? " (check REDIS_PASSWORD and the user in the store URL)"
      : "";
    throw new Error(`cannot reach redis ${target.display}: ${reason}${hint}`);
  }
  return redis;
}

/**
 * Why this Redis could lose an "accepted" event or a claim, one line per reason; empty when it
 * is set up as docs/deploy.md recommends. A Redis that denies CONFIG (managed services, ACL
 * users) is judged by INFO alone.
 */
export async function durabilityWarnings(redis: Redis, display: string): Promise<string[]> {
  const warnings: string[] = [];
  const info = await redis.info("persistence");
  if (!/^aof_enabled:1\b/m.test(info)) {
    warnings.push(
      `warning: redis ${display} has no AOF (appendonly no): a Redis crash can lose ` +
        `events already answered "accepted"; see docs/deploy.md`,
    );
  } else {
    const policy = await redis.config("GET", "appendfsync").catch(() => null) as string[] | null;
    const fsync = policy?.[1];
    if (fsync !== undefined && fsync !== "always") {
      warnings.push(
        `warning: redis ${display} has appendfsync ${fsync}: a machine crash can lose ` +
          `events already answered "accepted" (appendfsync always keeps them); see docs/deploy.md`,
      );
    }
  }
  // Claims and done events carry a TTL, so even a volatile-* policy evicts them first.
  const eviction = /^maxmemory_policy:(\S+)/m.exec(await redis.info("memory"))?.[1];
  if (eviction !== undefined && eviction !== "noeviction") {
    warnings.push(
      `warning: redis ${display} has maxmemory-policy ${eviction}: when memory runs out it ` +
        `evicts claims (a replay is then accepted again) or pending events; set noeviction ` +
        `(a full Redis then answers 503); see docs/deploy.md`,
    );
  }
  return warnings;
}

/** A clock this far off Redis's is worth a warning: NTP keeps machines within milliseconds. */
const CLOCK_SKEW_WARN_MS = 1_000;

/**
 * A warning when `now` (this machine's clock) is off Redis's TIME by more than a second, or
 * null. Leases and claim lifetimes run on Redis's clock, but gate 1 judges a timestamp by the
 * instance's own: a claim is held while the accepting instance would find its timestamp fresh,
 * so an instance running late would let an exact replay in once that claim has lapsed.
 */
export async function clockWarning(
  redis: Redis,
  display: string,
  now: () => number,
): Promise<string | null> {
  const before = now();
  const [seconds, micros] = await redis.time();
  const after = now();
  const offMs = (before + after) / 2 - (Number(seconds) * 1000 + Number(micros) / 1000);
  // Half the round trip is how far the reading itself may be off.
  if (Math.abs(offMs) <= CLOCK_SKEW_WARN_MS + (after - before) / 2) return null;
  const side = offMs > 0 ? "ahead of" : "behind";
  return `warning: this machine's clock is ${(Math.abs(offMs) / 1000).toFixed(1)} s ${side} ` +
    `redis ${display}: every instance judges a timestamp by its own clock, so a late one can ` +
    `accept an exact replay whose claim has lapsed, and one off by more than the tolerance ` +
    `refuses fresh deliveries; keep every instance's clock on NTP; see docs/deploy.md`;
}

/**
 * The `redis://` store spec: host, TLS, database, key prefix and timeouts from the URL, the
 * password from REDIS_PASSWORD, and the values the redactor must hide.
 */
import { parseDurationMs } from "../../setup/mod.ts";
import { fail, ok, type Result } from "../../util/mod.ts";

/** Where and how to reach Redis, parsed from `redis://[user:password@]host:port[/db][?options]`. */
export interface RedisTarget {
  /** `rediss://` connects over TLS. */
  tls: boolean;
  /** A name or an IP literal, without IPv6 brackets. */
  host: string;
  port: number;
  db: number;
  /** An ACL user, or null for the default user. */
  username: string | null;
  /** From the URL or REDIS_PASSWORD; null when Redis needs none. */
  password: string | null;
  /** Prefix of every key hookgate writes: several gateways can share one Redis. */
  keyPrefix: string;
  /** How long an event may sit with a silent worker before another instance takes it over. */
  visibilityTimeoutMs: number | null;
  /** The store's deadline: a call Redis leaves unanswered this long fails (503). */
  commandTimeoutMs: number | null;
  /** The URL without its credentials: safe for logs and error messages. */
  display: string;
}

export interface ParseRedisUrlOptions {
  /** The value of REDIS_PASSWORD, if set: keeps the password out of argv and the URL. */
  password?: string | undefined;
}

export const DEFAULT_REDIS_PORT = 6379;
export const DEFAULT_KEY_PREFIX = "hookgate";
const KNOWN_OPTIONS = new Set(["prefix", "visibility_timeout", "timeout"]);

/**
 * Parses a Redis store spec. Pure. A reason never contains the password (nor
 * the rest of the URL's userinfo): it names the part that is wrong and the fix.
 */
export function parseRedisUrl(
  spec: string,
  options: ParseRedisUrlOptions = {},
): Result<RedisTarget> {
  const scheme = /^(rediss?):\/\//.exec(spec);
  if (!scheme) return fail("a Redis store must look like redis://HOST:PORT[/DB]");
  if (/[\s\\]/.test(spec)) return fail("the Redis URL must not contain whitespace or '\\'");
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    return fail("the Redis URL is malformed: use redis://[user@]HOST:PORT[/DB]");
  }
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  if (host === "") return fail("the Redis URL has no host: use redis://HOST:PORT[/DB]");
  const port = url.port === "" ? DEFAULT_REDIS_PORT : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return fail("the Redis port must be a number from 1 to 65535");
  }
  const dbText = url.pathname.replace(/^\//, "");
  if (dbText !== "" && !/^[0-9]{1,5}$/.test(dbText)) {
    return fail("the Redis database must be a number, as in redis://HOST:PORT/0");
  }
  if (url.hash !== "") return fail("the Redis URL must not have a #fragment");

  const urlPassword = url.password === "" ? null : decodeComponent(url.password);
  const envPassword = options.password === undefined || options.password === ""
    ? null
    : options.password;
  if (urlPassword !== null && envPassword !== null) {
    return fail(
      "the Redis password is set twice (in the store URL and in REDIS_PASSWORD): keep only " +
        "REDIS_PASSWORD, so the password stays out of the command line",
    );
  }
  const password = urlPassword ?? envPassword;

  let keyPrefix = DEFAULT_KEY_PREFIX;
  let visibilityTimeoutMs: number | null = null;
  let commandTimeoutMs: number | null = null;
  for (const [name, value] of url.searchParams) {
    if (!KNOWN_OPTIONS.has(name)) {
      return fail(
        `unknown Redis URL option '${name}': known are prefix, visibility_timeout and timeout`,
      );
    }
    if (name === "prefix") {
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value)) {
        return fail("the Redis key prefix must be 1-64 letters, digits, '_', '.' or '-'");
      }
      keyPrefix = value;
    } else {
      const parsed = parseDurationMs(name, value);
      if (!parsed.ok) return parsed;
      if (name === "timeout") commandTimeoutMs = parsed.value;
      else visibilityTimeoutMs = parsed.value;
    }
  }

  const username = url.username === "" ? null : decodeComponent(url.username);
  const hostForDisplay = host.includes(":") ? `[${host}]` : host;
  const db = dbText === "" ? 0 : Number(dbText);
  return ok({
    tls: scheme[1] === "rediss",
    host,
    port,
    db,
    username,
    password,
    keyPrefix,
    visibilityTimeoutMs,
    commandTimeoutMs,
    display: `${scheme[1]}://${hostForDisplay}:${port}/${db}`,
  });
}

/**
 * The values a redactor must remove once this target is known: the password as
 * given and as it is spelled inside a URL. Empty when there is no password.
 */
export function redisSecretValues(target: RedisTarget, spec: string = ""): string[] {
  if (target.password === null) return [];
  const values = new Set([target.password, encodeURIComponent(target.password)]);
  const raw = /^rediss?:\/\/[^@/]*?:([^@/]*)@/.exec(spec)?.[1];
  if (raw) values.add(raw);
  return [...values];
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

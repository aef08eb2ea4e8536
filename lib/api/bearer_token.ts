/**
 * hookgate's bearer tokens for the inspection API: a signed, expiring, scoped
 * credential, `hgt_<base64url(claims)>.<base64url(HMAC-SHA256)>`, under its own
 * key (HOOKGATE_TOKEN_SECRET), never the webhook secret. Pure: the clock, the token id
 * and the revocation check are passed in.
 */
import {
  isRepetitive,
  MIN_DISTINCT_CHARS,
  readSecret,
  SECRET_VAR,
  TOKEN_SECRET_VAR,
} from "../setup/mod.ts";
import { routeSecretValues } from "../receive/mod.ts";
import {
  decodeUtf8,
  fail,
  type HmacKey,
  hmacSha256,
  importHmacKey,
  ok,
  type Result,
  toBase64Url,
  utf8,
  verifyHmacSha256,
} from "../util/mod.ts";

export const TOKEN_PREFIX = "hgt_";
/** A token lives at most this long, whatever `--ttl` asks for; verify enforces it too. */
export const MAX_TOKEN_TTL_MS = 24 * 3_600_000;
export const DEFAULT_TOKEN_TTL_MS = 15 * 60_000;

export type TokenScope = "read" | "write";
export const TOKEN_SCOPES: readonly TokenScope[] = ["read", "write"];

/** The claims inside a token (JWT-like names: exp in Unix seconds, jti the token id). */
export interface TokenClaims {
  v: 1;
  scope: TokenScope;
  exp: number;
  jti: string;
}

export interface IssueTokenOptions {
  scope: TokenScope;
  ttlMs: number;
  nowMs: number;
  /** Random, 32 lowercase hex digits (see `newTokenId`); it is what `--revoke` names. */
  tokenId: string;
}

export interface IssuedToken {
  token: string;
  tokenId: string;
  scope: TokenScope;
  expiresAtMs: number;
}

/** Why a presented token was refused. Each maps to 401 `invalid_token` except `missing`. */
export type TokenFailure =
  | "missing"
  | "malformed"
  | "bad_signature"
  | "bad_claims"
  | "expired"
  | "revoked";

export interface VerifiedToken {
  scope: TokenScope;
  tokenId: string;
  expiresAtMs: number;
}

export interface VerifyTokenOptions {
  key: HmacKey;
  nowMs: number;
  /** Consulted only for a token whose signature and expiry already passed. */
  isRevoked(tokenId: string): Promise<boolean>;
}

const TOKEN_ID = /^[0-9a-f]{32}$/;
/** base64url without padding; the MAC is always 32 bytes = 43 characters. */
const TOKEN_SHAPE = /^hgt_([A-Za-z0-9_-]{1,256})\.([A-Za-z0-9_-]{43})$/;
/** RFC 6750 §2.1: the scheme is case-insensitive, then one or more spaces. */
const BEARER = /^Bearer +(\S+) *$/i;
/** Kept apart from anything else the same key could ever sign. */
const MAC_CONTEXT = "hookgate-token-v1.";
const MAX_HEADER_CHARS = 1024;

export function isTokenId(text: string): boolean {
  return TOKEN_ID.test(text);
}

/** 128 random bits as 32 hex digits. */
export function newTokenId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `write` implies `read`. */
export function scopeAllows(granted: TokenScope, required: TokenScope): boolean {
  return granted === "write" || required === "read";
}

/**
 * The token key from HOOKGATE_TOKEN_SECRET. It must be a strong secret of its
 * own: the same value as a webhook secret (WEBHOOK_SECRET, a route's variable,
 * a previous secret still accepted) would let whoever sends on that route mint
 * tokens. `routeSpecs` are serve's `--route` flags; without them the routes
 * come from HOOKGATE_ROUTES, as serve reads them.
 */
export function tokenKeyFromEnv(
  env: Record<string, string>,
  options: { routeSpecs?: string[] } = {},
): Result<HmacKey> {
  const secret = readSecret(env, TOKEN_SECRET_VAR);
  if (!secret.ok) return secret;
  // hookgate's own key, made by init: a weak one lets one leaked token be brute-forced into
  // a key that mints write tokens.
  if (isRepetitive(secret.value)) {
    return fail(
      `${TOKEN_SECRET_VAR} repeats fewer than ${MIN_DISTINCT_CHARS} different characters: empty ` +
        "it in .env and run 'hookgate init' for a random one",
    );
  }
  const webhookSecrets = new Set(routeSecretValues(env, options.routeSpecs ?? []).map(unprefixed));
  if (env[SECRET_VAR] !== undefined) webhookSecrets.add(unprefixed(env[SECRET_VAR]));
  if (webhookSecrets.has(unprefixed(secret.value))) {
    return fail(
      `${TOKEN_SECRET_VAR} must differ from ${SECRET_VAR} and from the secret of every route: run ` +
        `'hookgate init' for a separate random value or set one in .env`,
    );
  }
  return ok(importHmacKey(utf8(secret.value)));
}

/**
 * A secret without the `whsec_` a Standard Webhooks secret may carry: a route verifies with
 * either spelling, so whoever holds one holds the other.
 */
function unprefixed(secret: string): string {
  return secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret;
}

export function issueToken(
  options: IssueTokenOptions,
  key: HmacKey,
): Result<IssuedToken> {
  if (!TOKEN_SCOPES.includes(options.scope)) return fail(`unknown scope '${options.scope}'`);
  if (!isTokenId(options.tokenId)) return fail("the token id must be 32 lowercase hex digits");
  if (!Number.isSafeInteger(options.ttlMs) || options.ttlMs <= 0) {
    return fail("the token lifetime must be a positive number of milliseconds");
  }
  if (options.ttlMs > MAX_TOKEN_TTL_MS) {
    return fail("the token lifetime is capped at 24h: ask for a shorter --ttl");
  }
  const exp = Math.floor((options.nowMs + options.ttlMs) / 1000);
  const claims: TokenClaims = { v: 1, scope: options.scope, exp, jti: options.tokenId };
  const body = toBase64Url(utf8(JSON.stringify(claims)));
  const mac = hmacSha256(key, utf8(MAC_CONTEXT + body));
  return ok({
    token: `${TOKEN_PREFIX}${body}.${toBase64Url(mac)}`,
    tokenId: options.tokenId,
    scope: options.scope,
    expiresAtMs: exp * 1000,
  });
}

/**
 * Checks an `Authorization` header value in a fixed order: shape, MAC
 * (constant-time, before the claims are even parsed), claims, expiry, lifetime
 * cap, revocation. Never echoes the token.
 */
export async function verifyToken(
  header: string | null,
  options: VerifyTokenOptions,
): Promise<Result<VerifiedToken, TokenFailure>> {
  if (header === null || header.trim() === "") return fail("missing");
  if (header.length > MAX_HEADER_CHARS) return fail("malformed");
  const token = BEARER.exec(header)?.[1];
  const parts = token === undefined ? null : TOKEN_SHAPE.exec(token);
  const body = parts?.[1];
  const mac = parts?.[2] === undefined ? null : fromBase64Url(parts[2]);
  if (body === undefined || mac === null || mac.length !== 32) return fail("malformed");
  if (!(verifyHmacSha256(options.key, mac, utf8(MAC_CONTEXT + body)))) {
    return fail("bad_signature");
  }
  const claims = parseClaims(body);
  if (claims === null) return fail("bad_claims");
  const expiresAtMs = claims.exp * 1000;
  if (options.nowMs >= expiresAtMs) return fail("expired");
  if (expiresAtMs - options.nowMs > MAX_TOKEN_TTL_MS) return fail("bad_claims");
  if (await options.isRevoked(claims.jti)) return fail("revoked");
  return ok({ scope: claims.scope, tokenId: claims.jti, expiresAtMs });
}

function parseClaims(body: string): TokenClaims | null {
  const bytes = fromBase64Url(body);
  if (bytes === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(decodeUtf8(bytes));
  } catch {
    return null;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  const claims = value as Record<string, unknown>;
  const { v, scope, exp, jti } = claims;
  if (Object.keys(claims).length !== 4 || v !== 1) return null;
  if (scope !== "read" && scope !== "write") return null;
  if (typeof exp !== "number" || !Number.isSafeInteger(exp) || exp <= 0) return null;
  if (typeof jti !== "string" || !isTokenId(jti)) return null;
  return { v, scope, exp, jti };
}

/** Canonical base64url without padding; anything else (stray bits, padding) is null. */
function fromBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") +
    "=".repeat((4 - (text.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (ch) => ch.charCodeAt(0));
  return toBase64Url(bytes) === text ? bytes : null;
}

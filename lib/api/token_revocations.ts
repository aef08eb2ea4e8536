/**
 * The persistent list of revoked token ids. `hookgate token --revoke ID` writes
 * it; the inspection API reads it on every authenticated request. It lives in
 * its own Deno KV file under the data dir, so a revocation made by one process
 * is seen by a running `serve` at its next request, and survives restarts.
 * On a store several instances share (Redis), the store keeps them as well, so
 * a revocation made on one machine holds on every instance of the fleet.
 */
import { MAX_TOKEN_TTL_MS } from "./bearer_token.ts";
import { makePrivateDir, preparePrivateDbFile } from "../util/mod.ts";
import type { SharedRevocations } from "../store/mod.ts";

export interface TokenRevocations {
  /** Refuses `tokenId` from now on (until every token that could carry it has expired). */
  revoke(tokenId: string, options: { nowMs: number }): Promise<void>;
  isRevoked(tokenId: string): Promise<boolean>;
  close(): void;
}

/** The revocation file inside the data dir (`.hookgate/` by default). */
export function revocationsPath(dataDir: string): string {
  return `${dataDir}/tokens.kv`;
}

const PREFIX = "revoked-token";
const LOCK_RETRIES = 40;

/** Opens (and creates, with the data dir if missing) the revocation list of `dataDir`. */
export async function openTokenRevocations(dataDir: string): Promise<TokenRevocations> {
  await makePrivateDir(dataDir);
  await preparePrivateDbFile(revocationsPath(dataDir));
  const kv = await Deno.openKv(revocationsPath(dataDir));
  return {
    async revoke(tokenId, { nowMs }) {
      // Any token carrying this id was issued before now and lives at most
      // MAX_TOKEN_TTL_MS, so the entry can go after that; the value keeps the
      // exact instant because KV's expireIn deletes late.
      const value = { revokedAtMs: nowMs, expiresAtMs: nowMs + MAX_TOKEN_TTL_MS };
      await retryWhenLocked(() => kv.set([PREFIX, tokenId], value, { expireIn: MAX_TOKEN_TTL_MS }));
    },
    async isRevoked(tokenId) {
      const entry = await retryWhenLocked(() => kv.get([PREFIX, tokenId]));
      return entry.versionstamp !== null;
    },
    close: () => kv.close(),
  };
}

/**
 * The data dir's list together with the shared store's, when there is one: a revocation is
 * written to both (the local one first, so a store that fails still leaves this machine
 * refusing the token), and a token revoked in either is refused. A failed check of the shared
 * store rejects, so the request is refused rather than let through.
 */
export function withSharedRevocations(
  local: TokenRevocations,
  shared: SharedRevocations | undefined,
): TokenRevocations {
  if (shared === undefined) return local;
  return {
    async revoke(tokenId, options) {
      await local.revoke(tokenId, options);
      await shared.revoke(tokenId, MAX_TOKEN_TTL_MS);
    },
    async isRevoked(tokenId) {
      return await local.isRevoked(tokenId) || await shared.isRevoked(tokenId);
    },
    close: () => local.close(),
  };
}

/** Another process writing the same file makes SQLite answer "database is locked" for a moment. */
async function retryWhenLocked<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const locked = error instanceof Error && /database is locked/i.test(error.message);
      if (!locked || attempt >= LOCK_RETRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
    }
  }
}

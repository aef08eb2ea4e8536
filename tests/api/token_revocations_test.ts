import assert from "node:assert/strict";
import {
  MAX_TOKEN_TTL_MS,
  openTokenRevocations,
  withSharedRevocations,
} from "../../lib/api/mod.ts";
import type { SharedRevocations } from "../../lib/store/mod.ts";
import { tempDir } from "../support/temp_dir.ts";

const ID_A = "a".repeat(32);
const ID_B = "b".repeat(32);

/** A shared list in memory that records what it was asked, or fails every call. */
function sharedList(options: { failing?: boolean } = {}) {
  const revoked = new Map<string, number>();
  const calls: string[] = [];
  const shared: SharedRevocations = {
    revoke(tokenId, keepMs) {
      calls.push(`revoke ${tokenId}`);
      if (options.failing) return Promise.reject(new Error("store unreachable"));
      revoked.set(tokenId, keepMs);
      return Promise.resolve();
    },
    isRevoked(tokenId) {
      calls.push(`check ${tokenId}`);
      if (options.failing) return Promise.reject(new Error("store unreachable"));
      return Promise.resolve(revoked.has(tokenId));
    },
  };
  return { shared, revoked, calls };
}

Deno.test("withSharedRevocations() refuses a token revoked in either list", async () => {
  await using dir = await tempDir();
  const local = await openTokenRevocations(dir.path);
  const { shared, revoked } = sharedList();
  const both = withSharedRevocations(local, shared);
  try {
    revoked.set(ID_A, MAX_TOKEN_TTL_MS); // revoked on another machine of the fleet
    await local.revoke(ID_B, { nowMs: Date.now() }); // revoked here only
    assert.equal(await both.isRevoked(ID_A), true);
    assert.equal(await both.isRevoked(ID_B), true);
    assert.equal(await both.isRevoked("c".repeat(32)), false);
  } finally {
    both.close();
  }
});

Deno.test("withSharedRevocations() writes both lists, the shared one for the longest a token lives", async () => {
  await using dir = await tempDir();
  const { shared, revoked } = sharedList();
  const both = withSharedRevocations(await openTokenRevocations(dir.path), shared);
  try {
    await both.revoke(ID_A, { nowMs: Date.now() });
    assert.equal(revoked.get(ID_A), MAX_TOKEN_TTL_MS);
  } finally {
    both.close();
  }
  const local = await openTokenRevocations(dir.path);
  try {
    assert.equal(await local.isRevoked(ID_A), true, "the data dir's list was not written");
  } finally {
    local.close();
  }
});

Deno.test("withSharedRevocations(): an unreachable shared store rejects the check, and a revoke still lands here", async () => {
  await using dir = await tempDir();
  const { shared } = sharedList({ failing: true });
  const both = withSharedRevocations(await openTokenRevocations(dir.path), shared);
  try {
    await assert.rejects(() => both.isRevoked(ID_A), /unreachable/);
    await assert.rejects(() => both.revoke(ID_A, { nowMs: Date.now() }), /unreachable/);
    // Revoked here, so this machine refuses it without asking the store at all.
    assert.equal(await both.isRevoked(ID_A), true);
  } finally {
    both.close();
  }
});

Deno.test("withSharedRevocations() without a shared store is the data dir's list itself", async () => {
  await using dir = await tempDir();
  const local = await openTokenRevocations(dir.path);
  try {
    assert.equal(withSharedRevocations(local, undefined), local);
  } finally {
    local.close();
  }
});

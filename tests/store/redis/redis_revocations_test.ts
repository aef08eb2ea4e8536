/** The Redis backend keeps token revocations where every instance on it sees them. */
import assert from "node:assert/strict";
import { openStore, redisTest } from "../../support/redis_store.ts";
import { waitFor } from "../../support/wait.ts";

const ID = "0123456789abcdef0123456789abcdef";

redisTest(
  "RedisEventStore: a token revoked through one instance is revoked on another",
  async (server) => {
    await using a = await openStore(server.url);
    await using b = await openStore(server.url);
    assert.ok(a.revocations && b.revocations);
    assert.equal(await b.revocations.isRevoked(ID), false);
    await a.revocations.revoke(ID, 60_000);
    assert.equal(await b.revocations.isRevoked(ID), true);
    assert.equal(await b.revocations.isRevoked("f".repeat(32)), false);
  },
);

redisTest(
  "RedisEventStore: a revocation is kept for the time given, then dropped",
  async (server) => {
    await using store = await openStore(server.url);
    assert.ok(store.revocations);
    await store.revocations.revoke(ID, 200);
    assert.equal(await store.revocations.isRevoked(ID), true);
    const dropped = await waitFor(async () => !(await store.revocations?.isRevoked(ID)), 5_000);
    assert.ok(dropped, "the revocation was kept past its time");
  },
);

redisTest("RedisEventStore: revocations stay inside the store's key prefix", async (server) => {
  await using fleetA = await openStore(`${server.url}/0?prefix=fleet-a`);
  await using fleetB = await openStore(`${server.url}/0?prefix=fleet-b`);
  await fleetA.revocations?.revoke(ID, 60_000);
  assert.equal(await fleetA.revocations?.isRevoked(ID), true);
  assert.equal(await fleetB.revocations?.isRevoked(ID), false);
});

redisTest(
  "RedisEventStore: a revocation check with Redis gone rejects, never answers 'not revoked'",
  async (server) => {
    await using store = await openStore(`${server.url}/0?timeout=500ms`);
    await server.halt("SIGKILL");
    await assert.rejects(() => store.revocations?.isRevoked(ID) ?? Promise.resolve(false));
  },
);

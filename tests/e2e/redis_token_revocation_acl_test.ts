/**
 * `token --revoke` against a Redis that lets the command in but refuses its write: an ACL
 * user without SET, as an operator may hand out for read-mostly tooling. The revocation
 * must not be reported as reaching the fleet when Redis refused it.
 */
import assert from "node:assert/strict";
import { Redis } from "npm:ioredis@6.0.0";
import { openTokenRevocations } from "../../lib/api/mod.ts";
import { runCli } from "../support/cli.ts";
import { redisTest } from "../support/redis_store.ts";
import { tempDir } from "../support/temp_dir.ts";

const ENV = {
  WEBHOOK_SECRET: "acl-token-webhook-secret-0123456789",
  HOOKGATE_TOKEN_SECRET: "acl-token-key-0123456789abcdef",
};
const TOKEN_ID = "0123456789abcdef0123456789abcdef";
const READER_PASSWORD = `reader-pass-${crypto.randomUUID()}`;

/** Runs one command as Redis's default user and disconnects. */
async function admin(port: number, ...args: string[]): Promise<unknown> {
  const client = new Redis(port, "127.0.0.1", { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await client.connect();
    return await client.call(args[0] as string, ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

redisTest(
  "token --revoke through a Redis user that may not SET exits 69, holds on this machine, writes nothing to Redis",
  async (redis) => {
    await admin(
      redis.port,
      "ACL",
      "SETUSER",
      "reader",
      "on",
      `>${READER_PASSWORD}`,
      "~*",
      "+@all",
      "-set",
    );
    await using dir = await tempDir("hookgate-acl-token-");
    const store = `redis://reader:${READER_PASSWORD}@127.0.0.1:${redis.port}/0`;

    const revoked = await runCli(["token", "--revoke", TOKEN_ID, "--store", store], {
      env: ENV,
      cwd: dir.path,
    });
    assert.equal(revoked.code, 69, revoked.stderr);
    assert.match(revoked.stderr, /revoked on this machine only/);
    assert.match(revoked.stderr, /again/);
    assert.doesNotMatch(revoked.stderr, /on every instance/);
    assert.equal(
      (revoked.stdout + revoked.stderr).includes(READER_PASSWORD),
      false,
      "the Redis password was printed",
    );

    // This machine refuses the token from now on; Redis holds no revocation for it.
    const local = await openTokenRevocations(`${dir.path}/.hookgate`);
    try {
      assert.equal(await local.isRevoked(TOKEN_ID), true);
    } finally {
      local.close();
    }
    const keys = await admin(redis.port, "KEYS", `*revoked-token:${TOKEN_ID}`);
    assert.deepEqual(keys, []);
  },
);

/** connectRedis(): how the client reaches the server a store URL names. */
import assert from "node:assert/strict";
import { connectRedis } from "../../../lib/store/redis/connect.ts";
import { parseRedisUrl } from "../../../lib/store/redis/redis_url.ts";

Deno.test({
  name: "connectRedis() with rediss:// and an IP address starts a TLS handshake with that address",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    // What the client sends first: a TLS handshake record starts with 0x16.
    const firstByte = (async () => {
      const conn = await listener.accept();
      const buffer = new Uint8Array(16);
      const n = await Promise.race([
        conn.read(buffer),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), 5_000)),
      ]);
      conn.close();
      return n === null ? null : buffer[0];
    })().catch(() => null);
    const target = parseRedisUrl(`rediss://127.0.0.1:${listener.addr.port}/0`);
    assert.ok(target.ok);
    try {
      await assert.rejects(
        connectRedis(target.value, { commandTimeoutMs: 2_000, connectTimeoutMs: 2_000 }),
        (error: Error) => {
          assert.doesNotMatch(error.message, /servername/);
          return true;
        },
      );
      assert.equal(await firstByte, 0x16);
    } finally {
      listener.close();
    }
  },
});

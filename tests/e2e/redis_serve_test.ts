/** `hookgate serve --store redis://…` as a real subprocess: credentials and start-up failures. */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { runCli } from "../support/cli.ts";
import { redisServerAvailable, startRedisServer } from "../support/redis_server.ts";
import { startServe } from "../support/serve_process.ts";

const SECRET = "redis-serve-test-secret-0123456789";
const PASSWORD = "redis-pass-4c1d9e7b";
const ignore = !redisServerAvailable();

function signedRequest(id: string): RequestInit {
  const body = JSON.stringify({ id });
  const timestamp = String(Math.floor(Date.now() / 1000));
  return {
    method: "POST",
    body,
    headers: {
      "x-timestamp": timestamp,
      "x-signature": createHmac("sha256", SECRET).update(`${timestamp}.${body}`).digest("hex"),
    },
  };
}

Deno.test({
  name: "serve --store redis:// with a wrong password exits 69 and never prints the password",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const redis = await startRedisServer({ password: PASSWORD });
    try {
      const wrong = "wrong-pass-93f0c2aa";
      const result = await runCli(
        ["serve", "--port", "0", "--store", `redis://:${wrong}@127.0.0.1:${redis.port}/0`],
        { env: { WEBHOOK_SECRET: SECRET } },
      );
      assert.equal(result.code, 69, result.stderr);
      assert.match(result.stderr, /WRONGPASS/);
      assert.match(result.stderr, /REDIS_PASSWORD/);
      assert.ok(!result.stderr.includes(wrong) && !result.stdout.includes(wrong));
      assert.ok(!result.stderr.includes(PASSWORD) && !result.stdout.includes(PASSWORD));
    } finally {
      await redis.stop();
    }
  },
});

Deno.test({
  name: "serve with a malformed HOOKGATE_STORE redis URL exits 78 without echoing its password",
  ignore,
  fn: async () => {
    const result = await runCli(["serve", "--port", "0"], {
      env: { WEBHOOK_SECRET: SECRET, HOOKGATE_STORE: "redis://:leaky-pass-1234@127.0.0.1:6379/x" },
    });
    assert.equal(result.code, 78, result.stderr);
    assert.match(result.stderr, /HOOKGATE_STORE/);
    assert.ok(!result.stderr.includes("leaky-pass-1234"));
  },
});

Deno.test({
  name: "serve takes the Redis password from REDIS_PASSWORD and never prints it",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const redis = await startRedisServer({ password: PASSWORD });
    try {
      const serve = await startServe({
        env: {
          WEBHOOK_SECRET: SECRET,
          HOOKGATE_STORE: `redis://127.0.0.1:${redis.port}/0`,
          REDIS_PASSWORD: PASSWORD,
        },
      });
      try {
        const response = await fetch(`${serve.url}/webhook`, signedRequest("evt_pw_1"));
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), { status: "accepted" });
      } finally {
        await serve.stop();
      }
      assert.ok(!serve.stderr().includes(PASSWORD) && !serve.stdout().includes(PASSWORD));
    } finally {
      await redis.stop();
    }
  },
});

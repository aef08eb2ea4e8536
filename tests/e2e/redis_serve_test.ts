/** `hookgate serve --store redis://…` as a real subprocess: credentials and start-up failures. */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { runCli } from "../support/cli.ts";
import { redisTest } from "../support/redis_store.ts";
import { startServe } from "../support/serve_process.ts";
import { waitFor } from "../support/wait.ts";

const SECRET = "redis-serve-test-secret-0123456789";
const PASSWORD = "redis-pass-4c1d9e7b";

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

redisTest(
  "serve --store redis:// with a wrong password exits 69 and never prints the password",
  async (redis) => {
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
  },
  { password: PASSWORD },
);

// Needs no Redis: the URL is refused before any connection is tried.
Deno.test("serve with a malformed HOOKGATE_STORE redis URL exits 78 without echoing its password", async () => {
  const result = await runCli(["serve", "--port", "0"], {
    env: { WEBHOOK_SECRET: SECRET, HOOKGATE_STORE: "redis://:leaky-pass-1234@127.0.0.1:6379/x" },
  });
  assert.equal(result.code, 78, result.stderr);
  assert.match(result.stderr, /HOOKGATE_STORE/);
  assert.ok(
    !result.stderr.includes("leaky-pass-1234") && !result.stdout.includes("leaky-pass-1234"),
  );
});

redisTest(
  "serve takes the Redis password from REDIS_PASSWORD and never prints it",
  async (redis) => {
    await using serve = await startServe({
      env: {
        WEBHOOK_SECRET: SECRET,
        HOOKGATE_STORE: `redis://127.0.0.1:${redis.port}/0`,
        REDIS_PASSWORD: PASSWORD,
      },
    });
    const response = await fetch(`${serve.url}/webhook`, signedRequest("evt_pw_1"));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "accepted" });
    // Everything it prints, shutdown included.
    await serve.stop();
    assert.ok(!serve.stderr().includes(PASSWORD) && !serve.stdout().includes(PASSWORD));
  },
  { password: PASSWORD },
);

redisTest(
  "serve keeps a --store flag's Redis password out of the agent's environment",
  async (redis) => {
    await using serve = await startServe({
      // AGENT_NOTE holds the password under a name that says nothing: only the flag tells.
      env: { WEBHOOK_SECRET: SECRET, AGENT_NOTE: PASSWORD },
      args: [
        "--store",
        `redis://:${PASSWORD}@127.0.0.1:${redis.port}/0`,
        "--exec",
        "true",
        "--exec-env",
        "AGENT_NOTE",
      ],
    });
    await serve.stop();
    assert.match(
      serve.stderr(),
      /not passing --exec-env AGENT_NOTE to the command: it holds a secret/,
    );
    assert.ok(!serve.stderr().includes(PASSWORD) && !serve.stdout().includes(PASSWORD));
  },
  { password: PASSWORD },
);

redisTest(
  "serve says why the store refused an accept while Redis is down, and accepts again when it is back",
  async (redis) => {
    await using serve = await startServe({
      env: {
        WEBHOOK_SECRET: SECRET,
        HOOKGATE_STORE: `redis://127.0.0.1:${redis.port}/0`,
        REDIS_PASSWORD: PASSWORD,
      },
    });
    await redis.halt();
    const refused = await fetch(`${serve.url}/webhook`, signedRequest("evt_down_1"));
    assert.equal(refused.status, 503);
    await refused.body?.cancel();
    assert.ok(
      await waitFor(() =>
        /the store refused an accept \(503, the sender retries\): \S/.test(serve.stderr())
      ),
      serve.stderr(),
    );
    await redis.start();
    let status = 0;
    await waitFor(
      async () => {
        const response = await fetch(`${serve.url}/webhook`, signedRequest("evt_down_1"));
        status = response.status;
        await response.body?.cancel();
        return status === 200;
      },
      15_000,
      250,
    );
    assert.equal(status, 200, serve.stderr());
    await serve.stop();
    assert.ok(!serve.stderr().includes(PASSWORD) && !serve.stdout().includes(PASSWORD));
  },
  { password: PASSWORD },
);

redisTest(
  "events show keeps a --store URL's Redis password out of a payload it prints",
  async (redis) => {
    const store = `redis://:${PASSWORD}@127.0.0.1:${redis.port}/0`;
    const env = { WEBHOOK_SECRET: SECRET };
    await using serve = await startServe({ args: ["--pull", "--store", store], env });
    // The password in a form only its exact value gives away (no URL around it).
    const leaked = btoa(PASSWORD);
    const body = JSON.stringify({ id: "leak-1", note: `copied from the ops wiki: ${leaked}` });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const answer = await fetch(`${serve.url}/webhook`, {
      method: "POST",
      body,
      headers: {
        "x-timestamp": timestamp,
        "x-signature": createHmac("sha256", SECRET).update(`${timestamp}.${body}`).digest("hex"),
      },
    });
    assert.equal(answer.status, 200, await answer.text());
    const result = await runCli(["events", "show", "webhook/id:leak-1", "--store", store], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /copied from the ops wiki/);
    assert.ok(!result.stdout.includes(leaked) && !result.stderr.includes(leaked));
    assert.ok(!result.stdout.includes(PASSWORD) && !result.stderr.includes(PASSWORD));
  },
  { password: PASSWORD },
);

/** `hookgate serve --store redis://…` as a real subprocess: credentials and start-up failures. */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { runCli } from "../support/cli.ts";
import { redisTest } from "../support/redis_store.ts";
import { startServe } from "../support/serve_process.ts";
import { tempDir } from "../support/temp_dir.ts";
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

/** serve's environment for a Redis store whose password comes from REDIS_PASSWORD. */
function passwordFromEnv(port: number): Record<string, string> {
  return {
    WEBHOOK_SECRET: SECRET,
    HOOKGATE_STORE: `redis://127.0.0.1:${port}/0`,
    REDIS_PASSWORD: PASSWORD,
  };
}

/** Nothing serve printed, on stdout or stderr, holds `secret`. */
function assertNeverPrinted(serve: { stdout(): string; stderr(): string }, secret: string): void {
  assert.ok(!serve.stderr().includes(secret), "the secret is on stderr");
  assert.ok(!serve.stdout().includes(secret), "the secret is on stdout");
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
      env: passwordFromEnv(redis.port),
    });
    const response = await fetch(`${serve.url}/webhook`, signedRequest("evt_pw_1"));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "accepted" });
    // Everything it prints, shutdown included.
    await serve.stop();
    assertNeverPrinted(serve, PASSWORD);
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
    assertNeverPrinted(serve, PASSWORD);
  },
  { password: PASSWORD },
);

redisTest(
  "serve says why the store refused an accept while Redis is down, and accepts again when it is back",
  async (redis) => {
    await using serve = await startServe({
      env: passwordFromEnv(redis.port),
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
    assertNeverPrinted(serve, PASSWORD);
  },
  { password: PASSWORD },
);

redisTest(
  "serve --store redis://: the dead letter's redeliver command, run where serve runs, finds the event",
  async (redis) => {
    await using dir = await tempDir("hookgate-redis-hint-");
    // A password in --store (as a person might) must not reach the printed command.
    const store = `redis://:${PASSWORD}@127.0.0.1:${redis.port}/0?prefix=hint`;
    await using serve = await startServe({
      cwd: dir.path,
      env: { WEBHOOK_SECRET: SECRET },
      args: ["--store", store, "--exec", "false", "--exec-attempts", "1"],
    });
    const response = await fetch(`${serve.url}/webhook`, signedRequest("evt_hint_1"));
    assert.equal(response.status, 200);
    await response.body?.cancel();
    assert.ok(await waitFor(() => serve.stderr().includes("retry it with: ")), serve.stderr());
    const line = serve.stderr().split("\n").find((l) => l.includes("retry it with: ")) as string;
    const command = line.split("retry it with: ")[1] as string;
    assert.ok(!command.includes(PASSWORD), command);
    const args = (command.match(/'[^']*'|\S+/g) ?? []).map((word) => word.replace(/^'|'$/g, ""));
    assert.equal(args.shift(), "hookgate");
    const result = await runCli(args, { cwd: dir.path, env: { REDIS_PASSWORD: PASSWORD } });
    assert.equal(result.code, 0, `${command}\n${result.stderr}`);
    assert.match(result.stdout, /webhook\/id:evt_hint_1 is pending again/);
  },
  { password: PASSWORD },
);

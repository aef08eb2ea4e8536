/**
 * `hookgate events` against a real `serve`: the local store directly, and the
 * same through the inspection API with --url and a token it mints itself.
 */
import assert from "node:assert/strict";
import { runCli, startCli } from "../support/cli.ts";
import { type ServeProcess, startServe } from "../support/serve_process.ts";
import { eventually } from "../support/wait.ts";
import { postSigned } from "../support/signing.ts";
import { tempDir } from "../support/temp_dir.ts";

const SECRET = "events-cli-canary-" + crypto.randomUUID();
const ENV = {
  WEBHOOK_SECRET: SECRET,
  HOOKGATE_TOKEN_SECRET: "events-token-key-" + crypto.randomUUID(),
};
const API_KEY = "sk_live_" + "x".repeat(24);

async function post(server: ServeProcess, body: string): Promise<number> {
  const response = await postSigned(server.url, body, SECRET);
  await response.body?.cancel();
  return response.status;
}

interface Fixture extends AsyncDisposable {
  dir: string;
  server: ServeProcess;
}

async function deadLetterFixture(): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "hookgate-events-" });
  const server = await startServe({
    env: ENV,
    cwd: dir,
    args: ["--exec", "echo failing >&2; exit 3", "--exec-attempts", "1", "--no-trace"],
  });
  return {
    dir,
    server,
    async [Symbol.asyncDispose]() {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("events ls, show and redeliver work on the local store and through --url", async () => {
  await using fixture = await deadLetterFixture();
  const { dir, server } = fixture;
  assert.equal(await post(server, `{"id":"e1","api_key":"${API_KEY}"}`), 200);
  await eventually(
    "e1 is a dead letter",
    () => /dead letter .*webhook\/id:e1/.test(server.stderr()),
  );

  const local = await runCli(["events", "ls"], { env: ENV, cwd: dir });
  assert.equal(local.code, 0, local.stderr);
  assert.match(local.stdout, /^RECEIVED \(UTC\) +EVENT +STATUS +ATTEMPTS +LAST ERROR\n/);
  assert.match(local.stdout, /webhook\/id:e1 +dead +1 +exit code 3/);

  const json = await runCli(["events", "ls", "--json", "--status", "dead", "--route", "webhook"], {
    env: ENV,
    cwd: dir,
  });
  assert.deepEqual(JSON.parse(json.stdout).map((e: { key: string }) => e.key), ["id:e1"]);

  const shown = await runCli(["events", "show", "webhook/id:e1"], { env: ENV, cwd: dir });
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /status: +dead/);
  assert.ok(!shown.stdout.includes(API_KEY), "the payload is shown redacted");

  const remote = await runCli(["events", "ls", "--url", server.url], { env: ENV, cwd: dir });
  assert.equal(remote.code, 0, remote.stderr);
  assert.match(remote.stdout, /webhook\/id:e1 +dead/);

  const again = await runCli(["events", "redeliver", "webhook/id:e1", "--url", server.url], {
    env: ENV,
    cwd: dir,
  });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /webhook\/id:e1 is pending again/);
  await eventually(
    "the redelivered event is handed off again",
    () => (server.stderr().match(/dead letter .*webhook\/id:e1/g) ?? []).length === 2,
  );

  const missing = await runCli(["events", "show", "webhook/id:nope"], { env: ENV, cwd: dir });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no event webhook\/id:nope/);
});

Deno.test("events tail --url prints a new event as it arrives", async () => {
  await using fixture = await deadLetterFixture();
  const { dir, server } = fixture;
  await using tail = startCli(["events", "tail", "--url", server.url, "--interval", "200ms"], {
    env: ENV,
    cwd: dir,
  });
  await eventually("tail is following", () => tail.stderr().includes("following new events"));
  assert.equal(await post(server, '{"id":"t1"}'), 200);
  await eventually("tail prints t1", () => /webhook\/id:t1 (pending|dead)/.test(tail.stdout()));
});

Deno.test("events --url with nothing listening says connection refused, exit 69", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const result = await runCli(["events", "ls", "--url", `http://127.0.0.1:${port}`], { env: ENV });
  assert.equal(result.code, 69);
  assert.match(
    result.stderr,
    /connection refused — is the receiver running at http:\/\/127\.0\.0\.1:\d+\?/,
  );
});

Deno.test("events --url without a token key or token is a configuration error naming both", async () => {
  const result = await runCli(["events", "ls", "--url", "http://127.0.0.1:9"], {
    env: { WEBHOOK_SECRET: SECRET },
  });
  assert.equal(result.code, 78);
  assert.match(result.stderr, /HOOKGATE_TOKEN_SECRET .* HOOKGATE_TOKEN/);
});

Deno.test("events redeliver refuses a pending event, locally and through --url, and leaves it as it was", async () => {
  await using dir = await tempDir("hookgate-events-pending-");
  await using server = await startServe({
    env: ENV,
    cwd: dir.path,
    args: ["--pull", "--no-trace"],
  });
  assert.equal(await post(server, '{"id":"p1"}'), 200);
  for (const where of [[], ["--url", server.url]]) {
    const result = await runCli(["events", "redeliver", "webhook/id:p1", ...where], {
      env: ENV,
      cwd: dir.path,
    });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /webhook\/id:p1 is pending: only a done or dead event/);
    assert.equal(result.stdout, "");
  }
  const listed = await runCli(["events", "ls", "--json", "--status", "pending"], {
    env: ENV,
    cwd: dir.path,
  });
  const events = JSON.parse(listed.stdout) as { key: string; attempt: number }[];
  assert.deepEqual(events.map((e) => [e.key, e.attempt]), [["id:p1", 0]]);
});

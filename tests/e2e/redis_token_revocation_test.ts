/**
 * Token revocations across a fleet: two real `serve` processes on one real Redis, each with
 * its own data dir (as on two machines). A token revoked through either machine, or through
 * a machine that runs no serve at all, is refused by every instance; with Redis gone, an
 * instance that cannot check a token refuses it.
 */
import assert from "node:assert/strict";
import { runCli } from "../support/cli.ts";
import { runFlags } from "../support/task_project.ts";
import type { RedisServer } from "../support/redis_server.ts";
import { redisTest } from "../support/redis_store.ts";
import { type ServeProcess, startServe } from "../support/serve_process.ts";
import { type TempDir, tempDir } from "../support/temp_dir.ts";
import { waitFor } from "../support/wait.ts";

const ENV = {
  WEBHOOK_SECRET: "fleet-token-webhook-secret-0123456789",
  HOOKGATE_TOKEN_SECRET: "fleet-token-key-0123456789abcdef",
};

interface Machine extends AsyncDisposable {
  dir: TempDir;
  serve: ServeProcess;
}

async function machine(store: string): Promise<Machine> {
  const dir = await tempDir("hookgate-fleet-token-");
  try {
    const serve = await startServe({ env: ENV, cwd: dir.path, args: ["--store", store] });
    return {
      dir,
      serve,
      async [Symbol.asyncDispose]() {
        await serve.stop("SIGKILL");
        await dir[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await dir[Symbol.asyncDispose]();
    throw error;
  }
}

async function mint(): Promise<{ bearer: string; id: string }> {
  const issued = await runCli(["token", "--scope", "read"], { env: ENV });
  assert.equal(issued.code, 0, issued.stderr);
  const id = /read token ([0-9a-f]{32})/.exec(issued.stderr)?.[1];
  assert.ok(id, issued.stderr);
  return { bearer: `Bearer ${issued.stdout.trim()}`, id };
}

async function ask(instance: ServeProcess, bearer: string): Promise<number> {
  const response = await fetch(`${instance.url}/events?status=dead`, {
    headers: { authorization: bearer },
    signal: AbortSignal.timeout(10_000),
  });
  await response.body?.cancel();
  return response.status;
}

/** Two machines on one Redis, each with its own data dir; `await using` stops both. */
async function fleet(redis: RedisServer) {
  const store = `${redis.url}/0?timeout=1s`;
  const a = await machine(store);
  try {
    const b = await machine(store);
    return {
      store,
      a,
      b,
      async [Symbol.asyncDispose]() {
        await a[Symbol.asyncDispose]();
        await b[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await a[Symbol.asyncDispose]();
    throw error;
  }
}

redisTest(
  "fleet: a token revoked with --store on one machine is refused by every instance",
  async (redis) => {
    await using machines = await fleet(redis);
    const { store, a, b } = machines;
    const { bearer, id } = await mint();
    assert.equal(await ask(a.serve, bearer), 200);
    assert.equal(await ask(b.serve, bearer), 200);

    // Under the token task's own permissions, as `deno task token` runs it.
    const revoked = await runCli(["token", "--revoke", id, "--store", store], {
      env: ENV,
      cwd: a.dir.path,
      permissions: runFlags("token"),
    });
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(
      revoked.stderr,
      /every instance of redis:\/\/127\.0\.0\.1:\d+\/0 \(key prefix hookgate\)/,
    );
    assert.equal(await ask(a.serve, bearer), 401);
    assert.equal(await ask(b.serve, bearer), 401, "the other machine still accepts the token");
  },
);

redisTest(
  "fleet: HOOKGATE_STORE makes a plain --revoke reach every instance, from a machine running no serve",
  async (redis) => {
    await using machines = await fleet(redis);
    const { store, a, b } = machines;
    const { bearer, id } = await mint();
    assert.equal(await ask(b.serve, bearer), 200);
    const revoked = await runCli(["token", "--revoke", id], {
      env: { ...ENV, HOOKGATE_STORE: store },
    });
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(await ask(a.serve, bearer), 401);
    assert.equal(await ask(b.serve, bearer), 401);
  },
);

redisTest(
  "fleet: with Redis gone, --revoke says it holds on this machine only, and no instance lets an unchecked token through",
  async (redis) => {
    await using machines = await fleet(redis);
    const { store, a, b } = machines;
    const { bearer, id } = await mint();
    assert.equal(await ask(b.serve, bearer), 200);
    await redis.halt("SIGKILL");

    const revoked = await runCli(["token", "--revoke", id, "--store", store], {
      env: ENV,
      cwd: a.dir.path,
    });
    assert.equal(revoked.code, 69, revoked.stderr);
    assert.match(revoked.stderr, /revoked on this machine only/);
    assert.match(revoked.stderr, /again/);
    // Machine a has it in its own list; machine b cannot check, so it refuses rather than serve.
    assert.equal(await ask(a.serve, bearer), 401);
    assert.equal(
      await ask(b.serve, bearer),
      503,
      "an unchecked token was not refused as unavailable",
    );

    // Once Redis is back, the same command reaches the fleet.
    await redis.start();
    const again = await runCli(["token", "--revoke", id, "--store", store], {
      env: ENV,
      cwd: a.dir.path,
    });
    assert.equal(again.code, 0, again.stderr);
    // Instance b's client reconnects on its own: 503 until then, 401 after, never 200.
    const seen = new Set<number>();
    const refused = await waitFor(async () => {
      const status = await ask(b.serve, bearer);
      seen.add(status);
      return status === 401;
    }, 20_000);
    assert.ok(refused, `instance b answered ${[...seen].join(", ")}`);
    assert.equal(seen.has(200), false, "an unchecked token was let through");
  },
);

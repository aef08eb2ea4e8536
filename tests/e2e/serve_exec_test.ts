/**
 * `serve --exec` end to end: the real subprocess on a free port, the agent a
 * small shell command, the inspection API asked with a token from the real
 * `hookgate token`. Signatures come from node:crypto, independently of lib/.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { survivors } from "../support/agent_processes.ts";
import { runCli } from "../support/cli.ts";
import { type ServeProcess, startServe } from "../support/serve_process.ts";

const SECRET = "exec-webhook-canary-" + crypto.randomUUID();
const TOKEN_SECRET = "exec-token-canary-" + crypto.randomUUID();
const BASE_ENV = { WEBHOOK_SECRET: SECRET, HOOKGATE_TOKEN_SECRET: TOKEN_SECRET };

function signed(body: string | Uint8Array, options: { ts?: number; secret?: string } = {}) {
  const ts = options.ts ?? Math.floor(Date.now() / 1000);
  const mac = createHmac("sha256", options.secret ?? SECRET).update(`${ts}.`).update(body);
  return {
    "content-type": "application/json",
    "x-timestamp": String(ts),
    "x-signature": mac.digest("hex"),
  };
}

async function post(
  server: ServeProcess,
  body: string | Uint8Array,
  options: { ts?: number; secret?: string } = {},
): Promise<string> {
  const response = await fetch(`${server.url}/webhook`, {
    method: "POST",
    body: body as BodyInit,
    headers: signed(body, options),
  });
  return `${response.status} ${await response.text()}`;
}

async function lines(path: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(path)).split("\n").filter((line) => line !== "");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** Polls until `check` holds (a bound on waiting, not a measurement). */
async function eventually(what: string, check: () => Promise<boolean>, limitMs = 30_000) {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function token(cwd: string, scope: "read" | "write"): Promise<string> {
  const result = await runCli(["token", "--scope", scope], { env: BASE_ENV, cwd });
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.trim();
}

async function api(server: ServeProcess, bearer: string, path: string, method = "GET") {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}` },
  });
  return { status: response.status, body: await response.json() };
}

interface Setup {
  dir: string;
  server: ServeProcess;
}

async function withServe(
  exec: string,
  extraArgs: string[],
  extraEnv: Record<string, string>,
  body: (setup: Setup) => Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "hookgate-exec-" });
  const server = await startServe({
    env: { ...BASE_ENV, OUT: dir, ...extraEnv },
    args: ["--data-dir", `${dir}/data`, "--exec", exec, "--exec-env", "OUT", ...extraArgs],
    cwd: dir,
  });
  try {
    await body({ dir, server });
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test(
  "serve --exec runs the handler once per accepted event and never for forged, stale or duplicate ones",
  async () => {
    const handler = `cat > /dev/null; echo "$HOOKGATE_EVENT_ID" >> "$OUT/handled.log"`;
    await withServe(handler, [], {}, async ({ dir, server }) => {
      const stale = Math.floor(Date.now() / 1000) - 3600;
      assert.match(
        await post(server, '{"id":"forged-1"}', { secret: "not-the-secret-000" }),
        /^401/,
      );
      assert.match(await post(server, '{"id":"stale-1"}', { ts: stale }), /^401/);
      const good = ["good-1", "good-2", "good-3"];
      for (const id of good) {
        assert.equal(await post(server, `{"id":"${id}"}`), '200 {"status":"accepted"}');
      }
      assert.equal(
        await post(server, '{"id":"good-1"}'),
        '200 {"status":"duplicate-ignored"}',
      );
      const read = await token(dir, "read");
      // Done means handled and recorded: after that no further run can come.
      await eventually("all three are done", async () => {
        const done = await api(server, read, "/events?status=done");
        return done.body.count === 3;
      });
      assert.deepEqual((await lines(`${dir}/handled.log`)).sort(), good);
      for (const id of ["forged-1", "stale-1"]) {
        const lookup = await api(server, read, `/events/webhook/${encodeURIComponent(`id:${id}`)}`);
        assert.equal(lookup.status, 404, `${id} reached the store`);
      }
    });
  },
);

Deno.test(
  "serve --exec hands a payload near the 1 MiB cap (far over 64 KiB) to the handler byte for byte",
  async () => {
    const handler =
      `cat > "$OUT/payload.tmp" && mv "$OUT/payload.tmp" "$OUT/$HOOKGATE_EVENT_ID.bin"`;
    await withServe(handler, [], {}, async ({ dir, server }) => {
      // Near the 1 MiB body cap: far past one KV value (64 KiB) and one atomic commit (800 KiB).
      const filler = Array.from(
        { length: 22_000 },
        (_, i) => `"k${i}":"\\u00e9 ${"x".repeat(i % 50)}"`,
      );
      const body = new TextEncoder().encode(`{"id":"big-1",\r\n${filler.join(",\n")} }`);
      assert.ok(body.length > 900 * 1024 && body.length < 1024 * 1024, `${body.length} bytes`);
      assert.equal(await post(server, body), '200 {"status":"accepted"}');
      await eventually("the handler wrote the payload", async () => {
        return await Deno.stat(`${dir}/big-1.bin`).then(() => true, () => false);
      });
      assert.deepEqual(await Deno.readFile(`${dir}/big-1.bin`), body);
    });
  },
);

Deno.test(
  "serve --exec gives the handler no secret, even an allowlisted one, and the HOOKGATE_* variables",
  async () => {
    const handler = `env > "$OUT/env.tmp" && mv "$OUT/env.tmp" "$OUT/env.txt"`;
    await withServe(
      handler,
      ["--exec-env", "WEBHOOK_SECRET", "--exec-env", "AGENT_MODE"],
      { AGENT_MODE: "triage" },
      async ({ dir, server }) => {
        assert.match(
          server.stderr(),
          /not passing --exec-env WEBHOOK_SECRET to the command: it holds a secret/,
        );
        assert.equal(await post(server, '{"id":"env-1"}'), '200 {"status":"accepted"}');
        await eventually("the handler dumped its environment", async () => {
          return await Deno.stat(`${dir}/env.txt`).then(() => true, () => false);
        });
        const dump = await Deno.readTextFile(`${dir}/env.txt`);
        assert.equal(dump.includes(SECRET), false, "WEBHOOK_SECRET reached the agent");
        assert.equal(dump.includes(TOKEN_SECRET), false, "HOOKGATE_TOKEN_SECRET reached the agent");
        assert.match(dump, /^HOOKGATE_EVENT_ID=env-1$/m);
        assert.match(dump, /^HOOKGATE_EVENT_KEY=id:env-1$/m);
        assert.match(dump, /^HOOKGATE_ATTEMPT=1$/m);
        assert.match(dump, /^HOOKGATE_RECEIVED_AT=20\d\d-/m);
        assert.match(dump, /^AGENT_MODE=triage$/m);
        assert.equal(server.stderr().includes(SECRET), false);
      },
    );
  },
);

Deno.test(
  "serve --exec retries a failing handler with growing delays, dead-letters it, and redeliver brings it back",
  async () => {
    // Fails until $OUT/ok exists; logs the time of every attempt.
    const handler = `date +%s%3N >> "$OUT/attempts.log"; ` +
      `if [ -f "$OUT/ok" ]; then echo "$HOOKGATE_EVENT_ID" >> "$OUT/done.log"; exit 0; fi; exit 1`;
    await withServe(handler, ["--exec-attempts", "3"], {}, async ({ dir, server }) => {
      assert.equal(await post(server, '{"id":"flaky-1"}'), '200 {"status":"accepted"}');
      const read = await token(dir, "read");
      await eventually("the event is a dead letter", async () => {
        return (await api(server, read, "/events?status=dead")).body.count === 1;
      });
      const times = (await lines(`${dir}/attempts.log`)).map(Number);
      assert.equal(times.length, 3);
      const [t1, t2, t3] = times as [number, number, number];
      // execRetryDelayMs: after attempt 1 at least 0.5 s, after attempt 2 at least 1 s.
      assert.ok(t2 - t1 >= 450, `first retry after ${t2 - t1} ms`);
      assert.ok(t3 - t2 >= 950, `second retry after ${t3 - t2} ms`);
      const dead = await api(server, read, `/events/webhook/${encodeURIComponent("id:flaky-1")}`);
      assert.equal(dead.body.status, "dead");
      assert.equal(dead.body.lastError, "exit code 1");
      assert.equal(dead.body.payload.id, "flaky-1");

      const refused = await api(server, read, "/events/webhook/id%3Aflaky-1/redeliver", "POST");
      assert.equal(refused.status, 403);
      await Deno.writeTextFile(`${dir}/ok`, "");
      const write = await token(dir, "write");
      const revived = await api(server, write, "/events/webhook/id%3Aflaky-1/redeliver", "POST");
      assert.equal(revived.status, 202);
      await eventually("the redelivered event is handled", async () => {
        return (await lines(`${dir}/done.log`)).includes("flaky-1");
      });
      await eventually("the event is done", async () => {
        return (await api(server, read, "/events/webhook/id%3Aflaky-1")).body.status === "done";
      });
    });
  },
);

Deno.test("serve --exec kills a hanging handler at --exec-timeout and records why", async () => {
  // The child writes its own PID as the host sees it: $! would be its PID inside the
  // agent's PID namespace.
  const handler =
    `sh -c 'read -r pid _ < /proc/self/stat; echo "$pid" > "$OUT/child.pid"; exec sleep 300' & wait`;
  await withServe(
    handler,
    ["--exec-timeout", "1s", "--exec-attempts", "1"],
    {},
    async ({ dir, server }) => {
      assert.equal(await post(server, '{"id":"hang-1"}'), '200 {"status":"accepted"}');
      const read = await token(dir, "read");
      await eventually("the hanging event is a dead letter", async () => {
        return (await api(server, read, "/events?status=dead")).body.count === 1;
      });
      const dead = await api(server, read, "/events/webhook/id%3Ahang-1");
      assert.match(dead.body.lastError, /timed out after 1000 ms/);
      const pid = Number(await Deno.readTextFile(`${dir}/child.pid`));
      assert.deepEqual(await survivors([pid], 5_000), [], "the handler's child outlived it");
    },
  );
});

Deno.test(
  "serve without HOOKGATE_TOKEN_SECRET keeps /events closed (404), and with one demands a token (401)",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "hookgate-exec-" });
    const closed = await startServe({
      env: { WEBHOOK_SECRET: SECRET },
      args: ["--data-dir", `${dir}/a`],
      cwd: dir,
    });
    try {
      const response = await fetch(`${closed.url}/events`);
      await response.body?.cancel();
      assert.equal(response.status, 404);
    } finally {
      await closed.stop();
    }
    const open = await startServe({ env: BASE_ENV, args: ["--data-dir", `${dir}/b`], cwd: dir });
    try {
      const response = await fetch(`${open.url}/events`);
      await response.body?.cancel();
      assert.equal(response.status, 401);
      assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="hookgate"');
    } finally {
      await open.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

/**
 * Pull end to end: `hookgate serve --pull` receives signed deliveries in one
 * process, `hookgate mcp` hands them to an MCP client in another, on the same
 * store: Deno KV, and Redis where redis-server is installed.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { redisServerAvailable, startRedisServer } from "../support/redis_server.ts";
import { startMcp, tempProject, textOf } from "../support/mcp_session.ts";
import { startServe } from "../support/serve_process.ts";

const SECRET = "mcp-e2e-webhook-secret-7d2f4a9c1b";

interface StoreCase {
  name: string;
  /** The --store flag both processes get (none: the default KV file in the project). */
  open(): Promise<{ args: string[] } & AsyncDisposable>;
  ignore: boolean;
}

const STORES: StoreCase[] = [
  {
    name: "Deno KV",
    ignore: false,
    open: () => Promise.resolve({ args: [], [Symbol.asyncDispose]: () => Promise.resolve() }),
  },
  {
    name: "Redis",
    ignore: !redisServerAvailable(),
    async open() {
      const redis = await startRedisServer();
      return { args: ["--store", redis.url], [Symbol.asyncDispose]: () => redis.stop() };
    },
  },
];

async function deliver(url: string, payload: Record<string, unknown>): Promise<void> {
  const body = JSON.stringify(payload);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const response = await fetch(`${url}/webhook`, {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "x-timestamp": timestamp,
      "x-signature": createHmac("sha256", SECRET).update(`${timestamp}.${body}`).digest("hex"),
    },
  });
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.deepEqual(JSON.parse(text), { status: "accepted" });
}

/** A project with .env, a `serve --pull` on its store, and the store's flags for mcp. */
async function pullSetup(store: StoreCase) {
  const project = await tempProject(`WEBHOOK_SECRET=${SECRET}\n`);
  const opened = await store.open();
  const serve = await startServe({
    env: {},
    cwd: project.dir,
    args: ["--pull", ...opened.args],
  });
  return {
    dir: project.dir,
    storeArgs: opened.args,
    serve,
    async [Symbol.asyncDispose]() {
      await serve.stop();
      await opened[Symbol.asyncDispose]();
      await project[Symbol.asyncDispose]();
    },
  };
}

function eventOf(content: Record<string, unknown>): Record<string, unknown> {
  assert.ok(content.event, `no event in ${JSON.stringify(content)}`);
  return content.event as Record<string, unknown>;
}

for (const store of STORES) {
  Deno.test({
    name:
      `mcp (${store.name}): events_next then events_ack take deliveries a serve --pull accepted`,
    ignore: store.ignore,
    fn: async () => {
      await using setup = await pullSetup(store);
      await deliver(setup.serve.url, { id: "evt-1", action: "opened", note: `echo ${SECRET}` });
      await deliver(setup.serve.url, { id: "evt-2", action: "closed" });
      await using mcp = await startMcp({ cwd: setup.dir, args: setup.storeArgs });
      const taken: Record<string, unknown>[] = [];
      for (let i = 0; i < 2; i++) {
        const result = await mcp.call("events_next", { wait_seconds: 10 });
        assert.doesNotMatch(JSON.stringify(result), new RegExp(SECRET), "no secret to the agent");
        const event = eventOf(result.structuredContent as Record<string, unknown>);
        taken.push(event);
        assert.equal(event.route, "webhook");
        assert.equal(event.attempt, 1);
        assert.deepEqual(
          await mcp.callOk("events_ack", { route: event.route, key: event.key }),
          { route: event.route, key: event.key, status: "done" },
        );
      }
      assert.deepEqual(taken.map((event) => event.id).sort(), ["evt-1", "evt-2"]);
      const first = taken.find((event) => event.id === "evt-1");
      assert.deepEqual(first?.payload, {
        id: "evt-1",
        action: "opened",
        note: "echo ***redacted***",
      });
      assert.equal((await mcp.callOk("events_next", { wait_seconds: 0 })).event, null);
      const done = await mcp.callOk("events_list", { status: "done" });
      assert.equal((done.events as unknown[]).length, 2);
      assert.doesNotMatch(setup.serve.stdout(), /verified/, "serve --pull handed nothing off");
    },
  });

  Deno.test({
    name: `mcp (${store.name}): an event whose lease runs out unsettled goes to the next session`,
    ignore: store.ignore,
    fn: async () => {
      await using setup = await pullSetup(store);
      await deliver(setup.serve.url, { id: "evt-crash" });
      {
        await using crashing = await startMcp({
          cwd: setup.dir,
          args: [...setup.storeArgs, "--lease", "1s"],
        });
        const event = eventOf(await crashing.callOk("events_next", { wait_seconds: 10 }));
        assert.equal(event.attempt, 1);
        // The session ends without settling: an agent that crashed.
      }
      await using next = await startMcp({ cwd: setup.dir, args: setup.storeArgs });
      const again = eventOf(await next.callOk("events_next", { wait_seconds: 15 }));
      assert.equal(again.id, "evt-crash");
      assert.equal(again.attempt, 2);
      await next.callOk("events_ack", { route: again.route, key: again.key });
    },
  });

  Deno.test({
    name: `mcp (${store.name}): events_fail retries with backoff, then makes a dead letter`,
    ignore: store.ignore,
    fn: async () => {
      await using setup = await pullSetup(store);
      await deliver(setup.serve.url, { id: "evt-bad" });
      await using mcp = await startMcp({
        cwd: setup.dir,
        args: [...setup.storeArgs, "--attempts", "2"],
      });
      const first = eventOf(await mcp.callOk("events_next", { wait_seconds: 10 }));
      const retry = await mcp.callOk("events_fail", {
        route: first.route,
        key: first.key,
        error: "downstream said 503",
      });
      assert.equal(retry.status, "pending (retry scheduled)");
      const second = eventOf(await mcp.callOk("events_next", { wait_seconds: 15 }));
      assert.equal(second.key, first.key);
      assert.equal(second.attempt, 2);
      const dead = await mcp.callOk("events_fail", {
        route: first.route,
        key: first.key,
        error: "downstream said 503 again",
      });
      assert.equal(dead.status, "dead");
      const shown = await mcp.callOk("event_get", { route: first.route, key: first.key });
      assert.equal(eventOf(shown).status, "dead");
      assert.equal(eventOf(shown).last_error, "downstream said 503 again");
      const late = await mcp.call("events_ack", { route: first.route, key: first.key });
      assert.equal(late.isError, true, "a dead letter cannot be acknowledged afterwards");
      assert.match(textOf(late), /not leased to this session/);
    },
  });
}

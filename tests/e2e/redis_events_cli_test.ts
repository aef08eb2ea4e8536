/** `hookgate events --store redis://…` from a machine that runs no serve: the fleet's events, never its Redis password. */
import assert from "node:assert/strict";
import { runCli } from "../support/cli.ts";
import { incomingEvent, openStore, redisTest } from "../support/redis_store.ts";

const PASSWORD = "redis-events-pass-5e0b81";

redisTest(
  "events show with the password in --store never prints it, a payload holding it included",
  async (redis) => {
    const event = incomingEvent("evt_pw_payload");
    event.payload = new TextEncoder().encode(
      JSON.stringify({ id: event.id, note: `the redis password is ${PASSWORD}` }),
    );
    {
      await using store = await openStore(redis.url, { password: PASSWORD });
      assert.equal(await store.accept(event), "accepted");
    }
    const store = `redis://:${PASSWORD}@127.0.0.1:${redis.port}/0`;
    const show = await runCli(["events", "show", `webhook/${event.key}`, "--store", store]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /the redis password is \S/);
    const json = await runCli([
      "events",
      "show",
      `webhook/${event.key}`,
      "--json",
      "--store",
      store,
    ]);
    assert.equal(json.code, 0, json.stderr);
    for (const result of [show, json]) {
      assert.ok(!result.stdout.includes(PASSWORD), result.stdout);
      assert.ok(!result.stderr.includes(PASSWORD), result.stderr);
    }
  },
  { password: PASSWORD },
);

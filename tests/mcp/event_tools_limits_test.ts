/**
 * The event tools' bounds: what one MCP session may cost the store and the server, however
 * a model calls the tools (in a loop, all at once, with a flood of arguments).
 */
import assert from "node:assert/strict";
import { INBOX_URI, MAX_RUNNING_POLLS } from "../../lib/mcp/mod.ts";
import { MemoryEventStore } from "../support/memory_event_store.ts";
import { textOf } from "../support/mcp_session.ts";
import { accept, harness } from "../support/mcp_event_harness.ts";

Deno.test("events_next runs a few long polls at once and refuses more until one ends", async () => {
  // Each long poll asks the store every quarter second: thousands at once from a model
  // calling it in a loop would load the store (a Redis that serve shares) for 50 s each.
  class LeaseCountingStore extends MemoryEventStore {
    leasing = 0;
    override async lease(options: Parameters<MemoryEventStore["lease"]>[0]) {
      this.leasing++;
      try {
        return await super.lease(options);
      } finally {
        this.leasing--;
      }
    }
  }
  const store = new LeaseCountingStore();
  await using h = await harness({ store });
  const polls = Array.from({ length: 12 }, () => h.call("events_next", { wait_seconds: 2 }));
  const deadline = Date.now() + 5_000;
  while (store.leasing < MAX_RUNNING_POLLS && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await accept(store, "polled");
  const results = await Promise.all(polls);
  const refused = results.filter((result) => result.isError === true);
  assert.equal(refused.length, 12 - MAX_RUNNING_POLLS);
  for (const result of refused) {
    assert.match(textOf(result), /too many events_next calls at once/);
  }
  const taken = results.filter((result) =>
    result.isError !== true && (result.structuredContent as { event: unknown }).event !== null
  );
  assert.equal(taken.length, 1);
  assert.equal(store.leasing, 0);
  assert.equal((await h.callOk("events_next", { wait_seconds: 0 })).event, null);
});

Deno.test("the inbox resource and its watch read no payloads, only their sizes", async () => {
  // A pending inbox holds up to 100 events of up to the body cap each: read whole once a
  // second while subscribed (and on every read), that is 100 MiB a second from the store.
  class PayloadCountingStore extends MemoryEventStore {
    payloadBytesRead = 0;
    lists = 0;
    override async list(options: Parameters<MemoryEventStore["list"]>[0]) {
      const events = await super.list(options);
      this.lists++;
      for (const event of events) this.payloadBytesRead += event.payload.byteLength;
      return events;
    }
  }
  const store = new PayloadCountingStore();
  await using h = await harness({ store });
  await accept(store, "large", { id: "large", blob: "x".repeat(100_000) });
  await h.client.subscribeResource({ uri: INBOX_URI });
  const deadline = Date.now() + 5_000;
  while (store.lists < 3 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const read = await h.client.readResource({ uri: INBOX_URI });
  await h.client.unsubscribeResource({ uri: INBOX_URI });
  assert.ok(store.lists >= 4, `the watch listed ${store.lists} times`);
  assert.equal(store.payloadBytesRead, 0);
  const content = read.contents[0];
  assert.ok(content && "text" in content);
  const listed = JSON.parse(content.text as string) as { events: { payload_bytes: number }[] };
  assert.ok((listed.events[0]?.payload_bytes ?? 0) > 100_000, content.text as string);
});

Deno.test("a call whose arguments hold a flood of elements is refused before the tool runs", async () => {
  await using h = await harness();
  const flood = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, "v"]));
  const result = await h.call("events_list", { ...flood });
  assert.equal(result.isError, true);
  assert.match(textOf(result), /more than the maximum of 256 elements/);
  assert.deepEqual(await h.callOk("events_list", {}), { events: [] });
});

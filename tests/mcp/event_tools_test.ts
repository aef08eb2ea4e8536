/**
 * The event tools' rules, with the SDK's Client talking to the server in this
 * process (tests/support/mcp_event_harness.ts) over the in-memory store: leases,
 * settlements, the retry policy, read-only, bad calls and redaction.
 */
import assert from "node:assert/strict";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/types"
import { ResourceUpdatedNotificationSchema } from "npm:@modelcontextprotocol/sdk@1.32.2/types.js";
import { INBOX_URI } from "../../lib/mcp/mod.ts";
import { MemoryEventStore } from "../support/memory_event_store.ts";
import { textOf } from "../support/mcp_session.ts";
import { accept, CANARY, eventOf, harness } from "../support/mcp_event_harness.ts";

Deno.test("events_next answers {event: null} when nothing is pending within wait_seconds", async () => {
  await using h = await harness();
  assert.deepEqual(await h.callOk("events_next", { wait_seconds: 0 }), {
    event: null,
    waited_seconds: 0,
  });
});

Deno.test("events_next waits for an event that arrives during the long poll", async () => {
  await using h = await harness();
  const next = h.callOk("events_next", { wait_seconds: 10 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  await accept(h.store, "late");
  assert.equal(eventOf(await next).id, "late");
});

Deno.test("events_next then events_ack: the event is done and never handed out again", async () => {
  await using h = await harness();
  await accept(h.store, "evt-1", { id: "evt-1", action: "opened" });
  const taken = await h.callOk("events_next", { wait_seconds: 0 });
  const event = eventOf(taken);
  assert.equal(event.route, "webhook");
  assert.equal(event.key, "id:evt-1");
  assert.equal(event.attempt, 1);
  assert.deepEqual(event.payload, { id: "evt-1", action: "opened" });
  assert.equal(typeof event.received_at, "string");
  assert.ok(Date.parse(taken.lease_expires_at as string) > Date.now());
  assert.deepEqual(await h.callOk("events_ack", { route: "webhook", key: "id:evt-1" }), {
    route: "webhook",
    key: "id:evt-1",
    status: "done",
  });
  assert.equal((await h.callOk("events_next", { wait_seconds: 0 })).event, null);
  assert.equal((await h.store.get("webhook", "id:evt-1"))?.status, "done");
  // A host's retry of the same ack (the tool says it is idempotent) answers alike.
  assert.deepEqual(await h.callOk("events_ack", { route: "webhook", key: "id:evt-1" }), {
    route: "webhook",
    key: "id:evt-1",
    status: "done",
  });
});

Deno.test("events_next only hands out events of the route asked for", async () => {
  await using h = await harness();
  await accept(h.store, "on-webhook");
  const none = await h.callOk("events_next", { route: "github", wait_seconds: 0 });
  assert.equal(none.event, null);
  assert.equal(eventOf(await h.callOk("events_next", { route: "webhook" })).id, "on-webhook");
});

Deno.test("a lease that runs out unsettled hands the event out again, and the late ack is refused", async () => {
  await using h = await harness({ leaseMs: 150 });
  await accept(h.store, "slow");
  assert.equal(eventOf(await h.callOk("events_next", { wait_seconds: 0 })).attempt, 1);
  await new Promise((resolve) => setTimeout(resolve, 250));
  const late = await h.call("events_ack", { route: "webhook", key: "id:slow" });
  assert.equal(late.isError, true);
  assert.match(textOf(late), /ran out before it was settled/);
  assert.equal((await h.store.get("webhook", "id:slow"))?.status, "pending", "not marked done");
  const again = eventOf(await h.callOk("events_next", { wait_seconds: 0 }));
  assert.equal(again.key, "id:slow");
  assert.equal(again.attempt, 2);
});

Deno.test("an event whose lease runs out on its last attempt is a dead letter, not handed out again", async () => {
  await using h = await harness({ leaseMs: 100, maxAttempts: 2 });
  await accept(h.store, "poison");
  for (const attempt of [1, 2]) {
    assert.equal(eventOf(await h.callOk("events_next", { wait_seconds: 0 })).attempt, attempt);
    // Neither acknowledged nor failed: the session crashed on it, or forgot it.
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  assert.deepEqual(await h.callOk("events_next", { wait_seconds: 0 }), {
    event: null,
    waited_seconds: 0,
  });
  const dead = await h.store.get("webhook", "id:poison");
  assert.equal(dead?.status, "dead");
  assert.match(
    dead?.lastError ?? "",
    /lease ran out on its last attempt \(2 of 2\) without events_ack or events_fail/,
  );
});

Deno.test("events_fail retries under the policy, then makes the event a dead letter", async () => {
  await using h = await harness({ maxAttempts: 2 });
  await accept(h.store, "flaky");
  await h.callOk("events_next", { wait_seconds: 0 });
  const first = await h.callOk("events_fail", {
    route: "webhook",
    key: "id:flaky",
    error: "upstream 503",
  });
  assert.equal(first.status, "pending (retry scheduled)");
  const retried = eventOf(await h.callOk("events_next", { wait_seconds: 5 }));
  assert.equal(retried.attempt, 2);
  assert.equal(retried.last_error, "upstream 503");
  const second = await h.callOk("events_fail", {
    route: "webhook",
    key: "id:flaky",
    error: "upstream 503 again",
  });
  assert.equal(second.status, "dead");
  const dead = await h.callOk("events_list", { status: "dead" });
  assert.deepEqual(
    (dead.events as Record<string, unknown>[]).map((event) => [event.key, event.last_error]),
    [["id:flaky", "upstream 503 again"]],
  );
  assert.equal((await h.callOk("events_next", { wait_seconds: 0 })).event, null);
});

Deno.test("events_fail with retry=false makes the event dead at once", async () => {
  await using h = await harness({ maxAttempts: 5 });
  await accept(h.store, "hopeless");
  await h.callOk("events_next", { wait_seconds: 0 });
  const failed = await h.callOk("events_fail", {
    route: "webhook",
    key: "id:hopeless",
    error: "payload names an unknown repository",
    retry: false,
  });
  assert.equal(failed.status, "dead");
  assert.equal((await h.store.get("webhook", "id:hopeless"))?.attempt, 1);
});

Deno.test("events_ack of an event this session did not lease is a tool error and changes nothing", async () => {
  await using h = await harness();
  await accept(h.store, "not-mine");
  const result = await h.call("events_ack", { route: "webhook", key: "id:not-mine" });
  assert.equal(result.isError, true);
  assert.match(textOf(result), /not leased to this session: take events with events_next/);
  assert.equal((await h.store.get("webhook", "id:not-mine"))?.status, "pending");
});

Deno.test("event_get shows one event with its payload; an unknown one is a tool error", async () => {
  await using h = await harness();
  await accept(h.store, "shown", { id: "shown", n: 1 });
  const shown = eventOf(await h.callOk("event_get", { route: "webhook", key: "id:shown" }));
  assert.deepEqual(shown.payload, { id: "shown", n: 1 });
  assert.equal(shown.status, "pending");
  const missing = await h.call("event_get", { route: "webhook", key: "id:nope" });
  assert.equal(missing.isError, true);
  assert.match(textOf(missing), /no event webhook\/id:nope/);
});

Deno.test("events_list filters by status and route and leaves payloads out", async () => {
  await using h = await harness();
  await accept(h.store, "a");
  await accept(h.store, "b");
  const listed = await h.callOk("events_list", { status: "pending", route: "webhook", limit: 1 });
  const events = listed.events as Record<string, unknown>[];
  assert.equal(events.length, 1);
  assert.equal(events[0]?.payload, undefined);
  assert.equal(typeof events[0]?.payload_bytes, "number");
  assert.deepEqual((await h.callOk("events_list", { route: "github" })).events, []);
});

Deno.test("--read-only offers no tool that changes the inbox", async () => {
  await using h = await harness({ readOnly: true });
  const { tools } = await h.client.listTools();
  assert.deepEqual(tools.map((tool) => tool.name).sort(), ["event_get", "events_list"]);
  const refused = await h.call("events_ack", { route: "webhook", key: "id:x" });
  assert.equal(refused.isError, true);
  assert.match(textOf(refused), /events_ack not found/);
});

Deno.test("a malformed tool call gets an error naming the bad argument, and the server keeps serving", async () => {
  await using h = await harness();
  const wrongType = await h.call("events_ack", { route: 5, key: "id:x" });
  assert.equal(wrongType.isError, true);
  assert.match(textOf(wrongType), /route/);
  assert.match(textOf(wrongType), /expected string/);
  const missing = await h.call("events_fail", { route: "webhook", key: "id:x" });
  assert.equal(missing.isError, true);
  assert.match(textOf(missing), /error/);
  const badEnum = await h.call("events_list", { status: "everything" });
  assert.equal(badEnum.isError, true);
  assert.match(textOf(badEnum), /status/);
  assert.deepEqual(await h.callOk("events_list", {}), { events: [] });
});

Deno.test("the event tools never show a secret hookgate knows: payload, error text, bad call", async () => {
  await using h = await harness({ maxAttempts: 1 });
  await accept(h.store, "leaky", {
    id: "leaky",
    note: `key ${CANARY}`,
    api_token: "tok-123456789",
  });
  const taken = await h.call("events_next", { wait_seconds: 0 });
  const failed = await h.call("events_fail", {
    route: "webhook",
    key: "id:leaky",
    error: `the agent echoed ${CANARY}`,
  });
  const shown = await h.call("event_get", { route: "webhook", key: "id:leaky" });
  const bad = await h.call("event_get", { route: "webhook", key: 7, extra: CANARY });
  for (const result of [taken, failed, shown, bad]) {
    assert.doesNotMatch(JSON.stringify(result), new RegExp(CANARY));
    assert.doesNotMatch(JSON.stringify(result), /tok-123456789/);
  }
  assert.doesNotMatch((await h.store.get("webhook", "id:leaky"))?.lastError ?? "", /canary/);
  assert.match(textOf(shown), /\*\*\*redacted\*\*\*/);
});

Deno.test("a secret of digits is not shown where a payload holds it as a JSON number", async () => {
  // 16 digits, below 2^53: JSON.parse keeps every digit of it as a number.
  const digits = "4503599627370497";
  await using h = await harness({ secrets: [digits] });
  await accept(h.store, "amount", { id: "amount", amount: Number(digits), ids: [Number(digits)] });
  const results = [
    await h.call("events_next", { wait_seconds: 0 }),
    await h.call("event_get", { route: "webhook", key: "id:amount" }),
  ];
  for (const result of results) {
    assert.notEqual(result.isError, true, textOf(result));
    assert.doesNotMatch(JSON.stringify(result), new RegExp(digits));
    // The text block is still JSON the model can parse.
    const shown = JSON.parse(textOf(result)) as { event: { payload: Record<string, unknown> } };
    assert.equal(shown.event.payload.amount, "***redacted***");
  }
});

Deno.test("the pending inbox resource lists pending events and notifies subscribers of changes", async () => {
  await using h = await harness();
  const updates: string[] = [];
  h.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
    updates.push(notification.params.uri);
  });
  const { resources } = await h.client.listResources();
  assert.deepEqual(resources.map((resource) => resource.uri), [INBOX_URI]);
  await h.client.subscribeResource({ uri: INBOX_URI });
  await new Promise((resolve) => setTimeout(resolve, 60));
  await accept(h.store, "watched");
  const deadline = Date.now() + 5_000;
  while (updates.length === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.deepEqual(updates.slice(0, 1), [INBOX_URI]);
  const read = await h.client.readResource({ uri: INBOX_URI });
  const content = read.contents[0];
  assert.ok(content && "text" in content);
  const listed = JSON.parse(content.text as string) as { events: { key: string }[] };
  assert.deepEqual(listed.events.map((event) => event.key), ["id:watched"]);
  await h.client.unsubscribeResource({ uri: INBOX_URI });
  await assert.rejects(h.client.subscribeResource({ uri: "hookgate://other" }), /no resource/);
});

Deno.test("a failing store is a tool error that says to try again, and the server keeps serving", async () => {
  class BrokenStore extends MemoryEventStore {
    override list(): Promise<never> {
      return Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6379"));
    }
  }
  await using h = await harness({ store: new BrokenStore() });
  const result = await h.call("events_list", {});
  assert.equal(result.isError, true);
  assert.match(
    textOf(result),
    /the event store failed \(connect ECONNREFUSED[^)]*\): try the call again/,
  );
  assert.equal((await h.callOk("events_next", { wait_seconds: 0 })).event, null);
});

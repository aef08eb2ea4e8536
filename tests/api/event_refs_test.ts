/** The events API's links to events whose key the redactor changes (lib/api/event_refs.ts). */
import assert from "node:assert/strict";
import { createEventsApi, EventRefs, issueToken, type TokenScope } from "../../lib/api/mod.ts";
import type { StoredEvent } from "../../lib/store/mod.ts";
import { importHmacKey } from "../../lib/util/mod.ts";
import { createRedactor } from "../../lib/redact/mod.ts";
import { MemoryEventStore } from "../support/memory_event_store.ts";

const NOW_MS = Date.UTC(2026, 10, 30, 12, 0, 0);
const tokenKey = importHmacKey(new TextEncoder().encode("event-refs-token-key-0123456789"));

function stored(key: string, payload: unknown): StoredEvent {
  return {
    route: "webhook",
    key,
    id: key.replace(/^id:/, ""),
    payload: new TextEncoder().encode(JSON.stringify(payload)),
    receivedAtMs: NOW_MS - 60_000,
    attempt: 5,
    status: "dead",
    lastError: "exit code 3",
  };
}

interface Fixture {
  store: MemoryEventStore;
  api: (request: Request) => Promise<Response | null>;
}

function fixture(): Fixture {
  const store = new MemoryEventStore();
  const api = createEventsApi({
    store,
    tokenKey,
    revocations: { isRevoked: () => Promise.resolve(false) },
    redactor: createRedactor(),
    refs: new EventRefs(),
    now: () => NOW_MS,
  });
  return { store, api };
}

function bearer(scope: TokenScope): string {
  const tokenId = crypto.randomUUID().replaceAll("-", "");
  const issued = issueToken({ scope, ttlMs: 60_000, nowMs: NOW_MS, tokenId }, tokenKey);
  assert.ok(issued.ok);
  return `Bearer ${issued.value.token}`;
}

async function call(f: Fixture, method: string, path: string, auth: string): Promise<Response> {
  const request = new Request(new URL(path, "http://127.0.0.1:8000"), {
    method,
    headers: { authorization: auth },
  });
  const response = await f.api(request);
  assert.ok(response !== null, `${path} was not handled`);
  return response;
}

Deno.test("EventRefs gives one event the same reference and drops the oldest past its bound", () => {
  const refs = new EventRefs(2);
  const first = refs.refOf("webhook", "id:a");
  assert.equal(refs.refOf("webhook", "id:a"), first);
  assert.match(first, /^~[A-Za-z0-9_-]{22}$/);
  refs.refOf("webhook", "id:b");
  refs.refOf("webhook", "id:c");
  assert.equal(refs.resolve(first), null, "the oldest went");
  assert.deepEqual(refs.resolve(refs.refOf("webhook", "id:c")), { route: "webhook", key: "id:c" });
});

Deno.test("createEventsApi() links an event whose key is redacted by a reference that gives nothing away and opens it", async () => {
  const f = fixture();
  const token = "ghp_" + "Ab3".repeat(12);
  f.store.put(stored(`id:${token}`, { id: token, n: 1 }));
  f.store.put(stored(`id:${token}x`, { id: `${token}x`, n: 2 }));
  const listed = await call(f, "GET", "/events?status=dead", bearer("read"));
  const text = await listed.text();
  assert.ok(!text.includes(token), `the key is in the list: ${text}`);
  const hrefs = (JSON.parse(text).events as { href: string }[]).map((event) => event.href)
    .filter((href) => href.startsWith("/events/webhook/~"));
  assert.equal(hrefs.length, 2, "each redacted key has its own link");
  assert.notEqual(hrefs[0], hrefs[1]);
  // Each link opens its own event, whose key still leaves only redacted.
  const payloads: number[] = [];
  for (const href of hrefs) {
    const shown = await call(f, "GET", href, bearer("read"));
    assert.equal(shown.status, 200);
    const body = await shown.text();
    assert.ok(!body.includes(token), body);
    payloads.push(JSON.parse(body).payload.n);
  }
  assert.deepEqual(payloads.sort(), [1, 2]);
  // The same event keeps its link from one look to the next.
  const again = await (await call(f, "GET", "/events?status=dead", bearer("read"))).json();
  assert.ok(again.events.some((event: { href: string }) => event.href === hrefs[0]));
  // Redelivery through the link: the answer does not spell the key out either.
  const redelivered = await call(f, "POST", `${hrefs[0]}/redeliver`, bearer("write"));
  assert.equal(redelivered.status, 202);
  assert.ok(!(await redelivered.text()).includes(token));
});

Deno.test("createEventsApi() answers 404 for a reference it never gave, or under another route", async () => {
  const f = fixture();
  const token = "ghp_" + "Zq9".repeat(12);
  f.store.put(stored(`id:${token}`, { id: token }));
  const listed = await (await call(f, "GET", "/events?status=dead", bearer("read"))).json();
  const href = (listed.events as { href: string }[]).find((e) => e.href.includes("~"))?.href;
  assert.ok(href);
  const forged = await call(f, "GET", "/events/webhook/~AAAAAAAAAAAAAAAAAAAAAA", bearer("read"));
  assert.equal(forged.status, 404);
  assert.match(await forged.text(), /list the events again/);
  const otherRoute = href.replace("/events/webhook/", "/events/github/");
  assert.equal((await call(f, "GET", otherRoute, bearer("read"))).status, 404);
  const before = f.store.get("webhook", `id:${token}`);
  assert.equal(
    (await call(f, "POST", "/events/webhook/~AAAAAAAAAAAAAAAAAAAAAA/redeliver", bearer("write")))
      .status,
    404,
  );
  assert.deepEqual(await f.store.get("webhook", `id:${token}`), await before, "nothing changed");
});

/**
 * What only the SQLite backend has to prove (the shared promises are in
 * tests/store/event_store_contract_test.ts): two connections on one file (serve and
 * `hookgate events` or `mcp`), retention, its layout version, and long listings.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { openSqliteEventStore } from "../../../lib/store/sqlite/mod.ts";
import type { StoredEvent } from "../../../lib/store/mod.ts";
import { event, POLICY } from "../../support/contract_events.ts";
import { closing } from "../../support/closing.ts";
import { tempDir } from "../../support/temp_dir.ts";
import { waitFor } from "../../support/wait.ts";

async function sqliteFile() {
  const dir = await tempDir("hookgate-sqlite-");
  return Object.assign(dir, { file: `${dir.path}/hookgate.db` });
}

async function open(path: string, options: Parameters<typeof openSqliteEventStore>[1] = {}) {
  return closing(await openSqliteEventStore(path, options));
}

Deno.test("SqliteEventStore: what one connection accepts, another on the file leases and settles", async () => {
  await using dir = await sqliteFile();
  await using serve = await open(dir.file);
  await using other = await open(dir.file);
  const incoming = event();
  assert.equal(await serve.accept(incoming), "accepted");
  assert.equal(
    await other.accept(incoming),
    "duplicate",
    "the claim is the file's, not the connection's",
  );
  const lease = await other.lease({ leaseMs: 30_000, waitMs: 0 });
  assert.equal(lease?.event.key, incoming.key);
  assert.equal(
    await other.settle({ ...incoming, leaseId: lease!.leaseId }, { ok: true }, POLICY),
    "done",
  );
  assert.equal((await serve.get(incoming.route, incoming.key))?.status, "done");
});

Deno.test("SqliteEventStore: serve's consumer hands out what another connection redelivered", async () => {
  await using dir = await sqliteFile();
  await using serve = await open(dir.file, { pollMs: 50 });
  await using cli = await open(dir.file);
  const incoming = event();
  await serve.accept(incoming);
  const handled: StoredEvent[] = [];
  const stop = new AbortController();
  const consuming = serve.consume(async (stored) => {
    handled.push(stored);
    return await Promise.resolve(
      handled.length === 1 ? { ok: false, error: "boom" } : { ok: true },
    );
  }, { signal: stop.signal, concurrency: 2, maxAttempts: 1, retryDelayMs: () => 0 });
  try {
    assert.ok(
      await waitFor(
        async () => (await cli.get(incoming.route, incoming.key))?.status === "dead",
        5_000,
      ),
    );
    assert.equal(await cli.redeliver(incoming.route, incoming.key), "redelivered");
    assert.ok(
      await waitFor(() => handled.length === 2, 5_000),
      "the redelivered event was not handed out",
    );
    assert.equal(handled[1]?.attempt, 1);
  } finally {
    stop.abort();
    await consuming;
  }
});

Deno.test("SqliteEventStore: a done event is kept for its retention, then swept; its key is accepted again once its claim ran out", async () => {
  await using dir = await sqliteFile();
  const clock = { nowMs: Date.now() };
  await using store = await open(dir.file, { now: () => clock.nowMs });
  const incoming = event({ receivedAtMs: clock.nowMs, retentionMs: 60_000 });
  await store.accept(incoming);
  const lease = await store.lease({ leaseMs: 30_000, waitMs: 0 });
  assert.equal(
    await store.settle({ ...incoming, leaseId: lease!.leaseId }, { ok: true }, POLICY),
    "done",
  );
  clock.nowMs += 30_000;
  assert.equal(await store.accept({ ...incoming, receivedAtMs: clock.nowMs }), "duplicate");
  assert.equal(store.sweep(), 0);
  clock.nowMs += 31_000;
  // Past its retention the record reads as gone, and the sweep removes it.
  assert.equal(await store.get(incoming.route, incoming.key), null);
  assert.equal(store.sweep(), 1);
  assert.equal(await store.accept({ ...incoming, receivedAtMs: clock.nowMs }), "accepted");
});

Deno.test("SqliteEventStore: an alias is held for the event's retention, then free", async () => {
  await using dir = await sqliteFile();
  const clock = { nowMs: Date.now() };
  await using store = await open(dir.file, { now: () => clock.nowMs });
  const first = event({ receivedAtMs: clock.nowMs, retentionMs: 10_000, aliasKeys: ["sha256:aa"] });
  assert.equal(await store.accept(first), "accepted");
  const replay = event({ receivedAtMs: clock.nowMs, aliasKeys: ["sha256:aa"] });
  assert.equal(await store.accept(replay), "duplicate");
  clock.nowMs += 10_001;
  assert.equal(store.sweep(), 1);
  const later = event({ receivedAtMs: clock.nowMs, aliasKeys: ["sha256:aa"] });
  assert.equal(await store.accept(later), "accepted");
});

Deno.test("SqliteEventStore refuses a file written by a newer layout, and leaves it as it was", async () => {
  await using dir = await sqliteFile();
  const db = new DatabaseSync(dir.file);
  db.exec("PRAGMA user_version = 99");
  db.close();
  await assert.rejects(() => openSqliteEventStore(dir.file), /newer hookgate/);
  const check = new DatabaseSync(dir.file);
  try {
    assert.deepEqual({ ...check.prepare("PRAGMA user_version").get() }, { user_version: 99 });
    assert.equal(
      check.prepare("SELECT name FROM sqlite_master WHERE name = 'event'").get(),
      undefined,
    );
  } finally {
    check.close();
  }
});

Deno.test("SqliteEventStore lists a backlog too long to spread into one call", async () => {
  await using dir = await sqliteFile();
  // Laid out by the store, then filled in one transaction (faster than 150,000 accepts).
  await (await openSqliteEventStore(dir.file)).close();
  const db = new DatabaseSync(dir.file);
  const insert = db.prepare(
    "INSERT INTO event (route, key, id, payload, received_at, claim_until, retention_ms, status, " +
      "attempt, updated_at, due_at) VALUES ('webhook', ?, ?, x'7b7d', ?, ?, 600000, 'pending', 0, ?, ?)",
  );
  const nowMs = Date.now();
  db.exec("BEGIN");
  for (let i = 0; i < 150_000; i++) {
    insert.run(`id:bulk-${i}`, `bulk-${i}`, nowMs + i, nowMs + i, nowMs, nowMs);
  }
  db.exec("COMMIT");
  db.close();
  await using store = await open(dir.file);
  const listed = await store.list({ limit: 200_000 });
  assert.equal(listed.length, 150_000);
  assert.equal(listed[0]?.key, "id:bulk-149999", "newest first");
});

Deno.test("SqliteEventStore lists summaries without their payloads, with each payload's size", async () => {
  await using dir = await sqliteFile();
  await using store = await open(dir.file);
  const big = event({ payload: new Uint8Array(300_000).fill(0x61) });
  assert.equal(await store.accept(big), "accepted");
  const [summary] = await store.list({ status: "pending", limit: 10, withoutPayloads: true });
  assert.equal(summary?.key, big.key);
  assert.equal(summary?.payload.byteLength, 0);
  assert.equal(summary?.payloadBytes, 300_000);
  const [whole] = await store.list({ status: "pending", limit: 10 });
  assert.equal(whole?.payload.byteLength, 300_000);
  assert.equal(whole?.payloadBytes, undefined);
});

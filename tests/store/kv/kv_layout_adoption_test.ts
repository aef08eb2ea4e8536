/**
 * Files written by the earlier, queue-based layout of the Deno KV store (pending events
 * only in Deno's queue, no inbox or index keys) are adopted when a consumer starts, page
 * by page, and a file is marked with its layout so housekeeping never reads it whole again.
 */
import assert from "node:assert/strict";
import { utf8 } from "../../../lib/util/mod.ts";
import { countKeys, handOutOne, kvFile, openKvStore } from "../../support/kv_store.ts";

Deno.test("KvEventStore hands out a pending event of the queue-based layout and drops its parked message", async () => {
  await using file = await kvFile();
  const path = file.path;
  {
    await using first = await openKvStore(path);
    assert.equal(
      await first.accept({
        route: "webhook",
        key: "parked",
        id: "parked",
        payload: utf8('{"id":"parked"}'),
        receivedAtMs: Date.now(),
        retentionMs: 600_000,
      }),
      "accepted",
    );
  }
  {
    // The older layout: a record without inbox or index keys (its event lived in
    // Deno's queue), and a queue message Deno parked under "undelivered".
    using raw = await Deno.openKv(path);
    const recordKey = ["hookgate", "event", "webhook", "parked"];
    const record = await raw.get<Record<string, unknown>>(recordKey);
    assert.ok(record.value);
    const { dueAtMs: _due, leaseId: _lease, updatedAtMs: _updated, ...older } = record.value;
    await raw.set(recordKey, { ...older, gen: "regenerated" });
    for (const part of ["due", "listed", "layout"]) {
      for await (const entry of raw.list({ prefix: ["hookgate", part] })) {
        await raw.delete(entry.key);
      }
    }
    await raw.delete(["hookgate", "layout"]);
    await raw.set(["hookgate", "undelivered", "x"], {
      hookgate: "event",
      route: "webhook",
      key: "parked",
      gen: "regenerated",
    });
  }
  {
    await using second = await openKvStore(path);
    assert.deepEqual((await handOutOne(second)).map((e) => e.key), ["parked"]);
  }
  assert.equal(await countKeys(path, ["hookgate", "undelivered"]), 0);
  assert.equal(await countKeys(path, ["hookgate", "listed"]), 1);
});

Deno.test("KvEventStore marks a file it created with its layout when its consumer starts, so housekeeping never reads it whole", async () => {
  await using file = await kvFile();
  {
    await using store = await openKvStore(file.path);
    await handOutOne(store, 500);
  }
  using raw = await Deno.openKv(file.path);
  assert.equal((await raw.get(["hookgate", "layout"])).value, 2);
});

Deno.test("KvEventStore adopts an older file page by page: every one of its pending events is handed out", async () => {
  await using file = await kvFile();
  const total = 1_234;
  {
    using raw = await Deno.openKv(file.path);
    const payload = new TextEncoder().encode("{}");
    for (let first = 0; first < total; first += 400) {
      const op = raw.atomic();
      for (let i = first; i < Math.min(total, first + 400); i++) {
        op.set(["hookgate", "event", "webhook", `old${i}`], {
          route: "webhook",
          key: `old${i}`,
          id: `old${i}`,
          receivedAtMs: Date.now(),
          retentionMs: 600_000,
          attempt: 0,
          status: "pending",
          lastError: null,
          payload,
          blob: null,
        });
      }
      await op.commit();
    }
  }
  await using store = await openKvStore(file.path);
  assert.equal(await countKeys(file.path, ["hookgate", "due"]), 0);
  await handOutOne(store, 500);
  assert.equal(
    await countKeys(file.path, ["hookgate", "due"]) +
      await countKeys(file.path, ["hookgate", "listed"]),
    total,
    "some records of the older file were never adopted",
  );
});

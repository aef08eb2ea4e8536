/**
 * `hookgate events` as an operator reads it in a terminal, on the local store: the table's
 * columns, the subcommand names, and what `tail` reports after a redelivery.
 */
import assert from "node:assert/strict";
import { defaultStoreSpec, type EventStore, openStore } from "../../lib/store/mod.ts";
import { runCli, startCli } from "../support/cli.ts";
import { closing } from "../support/closing.ts";
import { tempDir } from "../support/temp_dir.ts";
import { eventually } from "../support/wait.ts";

/** Ids of the shape of a GitHub token: the redactor hides them wherever they are printed. */
const TOKEN_LIKE_IDS = ["ghp_" + "a".repeat(36), "ghp_" + "b".repeat(36)];

async function openLocalStore(dir: string): Promise<EventStore> {
  const dataDir = `${dir}/.hookgate`;
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  return await openStore(defaultStoreSpec(dataDir), { dataDir });
}

async function accept(store: EventStore, id: string): Promise<void> {
  await store.accept({
    route: "webhook",
    key: `id:${id}`,
    id,
    payload: new TextEncoder().encode(JSON.stringify({ id })),
    receivedAtMs: Date.now(),
    retentionMs: 600_000,
  });
}

/** Hands the next pending event out once and records that it failed; with one attempt, dead. */
async function failOnce(store: EventStore): Promise<void> {
  const lease = await store.lease({ leaseMs: 30_000, waitMs: 0 });
  assert.ok(lease !== null, "an event to hand out");
  const held = { route: lease.event.route, key: lease.event.key, leaseId: lease.leaseId };
  assert.equal(
    await store.settle(held, { ok: false, error: "exit code 3" }, {
      maxAttempts: 1,
      retryDelayMs: () => 600_000,
    }),
    "dead",
  );
}

Deno.test("events ls keeps its columns in line when a key is redacted", async () => {
  await using dir = await tempDir();
  {
    await using store = closing(await openLocalStore(dir.path));
    for (const id of [...TOKEN_LIKE_IDS, "e1"]) await accept(store, id);
  }
  const ls = await runCli(["events", "ls"], { cwd: dir.path });
  assert.equal(ls.code, 0, ls.stderr);
  for (const id of TOKEN_LIKE_IDS) assert.equal(ls.stdout.includes(id), false, "an id leaked");
  const lines = ls.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 4, ls.stdout);
  const column = lines[0]!.indexOf("STATUS");
  for (const line of lines.slice(1)) {
    assert.match(line.slice(column), /^pending /, `out of line:\n${ls.stdout}`);
  }
});

Deno.test("events list is ls", async () => {
  await using dir = await tempDir();
  {
    await using store = closing(await openLocalStore(dir.path));
    await accept(store, "e1");
  }
  const list = await runCli(["events", "list", "--json"], { cwd: dir.path });
  assert.equal(list.code, 0, list.stderr);
  const ls = await runCli(["events", "ls", "--json"], { cwd: dir.path });
  assert.equal(list.stdout, ls.stdout);
  assert.equal(JSON.parse(list.stdout)[0].key, "id:e1");
});

Deno.test("events tail reports a redelivered dead letter that failed again", async () => {
  await using dir = await tempDir();
  {
    await using store = closing(await openLocalStore(dir.path));
    await accept(store, "bad1");
    await failOnce(store);
  }
  await using tail = startCli(["events", "tail", "--interval", "100ms"], { cwd: dir.path });
  await eventually("tail is following", () => tail.stderr().includes("following new events"));
  // Settled before tail started: history, not printed.
  assert.equal(tail.stdout(), "");
  {
    await using store = closing(await openLocalStore(dir.path));
    assert.equal(await store.redeliver("webhook", "id:bad1"), "redelivered");
    // The agent fails again before tail looks: dead, attempt 1, the same error as before.
    await failOnce(store);
  }
  await eventually(
    "tail prints the new outcome",
    () => /webhook\/id:bad1 dead \(attempt 1\): exit code 3/.test(tail.stdout()),
  );
});

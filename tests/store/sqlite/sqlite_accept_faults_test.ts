/**
 * An accept on SQLite is answered — accepted, or an error the sender retries on — whatever
 * goes wrong between its commit and its fdatasync, and a stop while one is under way does
 * not leave the consumer or close() waiting for it.
 */
import assert from "node:assert/strict";
import { openSqliteEventStore } from "../../../lib/store/sqlite/mod.ts";
import { type AcceptOutcome, StoreFailedError } from "../../../lib/store/mod.ts";
import { event } from "../../support/contract_events.ts";
import { closing } from "../../support/closing.ts";
import { tempDir } from "../../support/temp_dir.ts";

const DEADLINE_MS = 5_000;

/** What `work` settles to, or "unanswered" once the deadline passes. */
async function within<T>(work: Promise<T>): Promise<T | "unanswered"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"unanswered">((resolve) => {
    timer = setTimeout(() => resolve("unanswered"), DEADLINE_MS);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** An accept's answer: its outcome, "error: …", or "unanswered". */
function answerOf(accepting: Promise<AcceptOutcome>): Promise<string> {
  return within(accepting.catch((error) => `error: ${error}`));
}

Deno.test("SqliteEventStore through a symbolic link: accepts are answered, and the WAL synced is the one SQLite writes", async () => {
  await using dir = await tempDir("hookgate-sqlite-link-");
  await Deno.mkdir(`${dir.path}/disk`);
  await Deno.writeFile(`${dir.path}/disk/hookgate.db`, new Uint8Array(), { mode: 0o600 });
  await Deno.symlink(`${dir.path}/disk/hookgate.db`, `${dir.path}/hookgate.db`);
  const incoming = [event(), event()];
  {
    await using store = closing(await openSqliteEventStore(`${dir.path}/hookgate.db`));
    for (const one of incoming) assert.equal(await answerOf(store.accept(one)), "accepted");
  }
  const names = [...Deno.readDirSync(dir.path)].map((entry) => entry.name);
  assert.deepEqual(names.sort(), ["disk", "hookgate.db"], "no -wal beside the link");
  await using again = closing(await openSqliteEventStore(`${dir.path}/disk/hookgate.db`));
  for (const one of incoming) {
    assert.equal((await again.get(one.route, one.key))?.status, "pending");
  }
});

Deno.test("SqliteEventStore: an fdatasync that cannot open the WAL answers an error, then every later accept is answered too", async () => {
  await using dir = await tempDir("hookgate-sqlite-wal-");
  const file = `${dir.path}/hookgate.db`;
  await using store = closing(await openSqliteEventStore(file));
  // SQLite keeps its descriptor; opening the path for the fdatasync now fails, as it does
  // when the process is out of descriptors.
  await Deno.remove(`${file}-wal`);
  const first = await answerOf(store.accept(event()));
  assert.match(first, /^error: .*NotFound|^error: .*No such file/, first);
  const second = await answerOf(store.accept(event()));
  assert.notEqual(second, "unanswered");
  assert.notEqual(second, "accepted", "an event whose WAL was never synced is not acknowledged");
});

Deno.test("SqliteEventStore: a consumer stopped while an accept's fdatasync runs ends, and close() returns", async () => {
  await using dir = await tempDir("hookgate-sqlite-stop-");
  const store = await openSqliteEventStore(`${dir.path}/hookgate.db`);
  const stop = new AbortController();
  const consuming = store.consume(() => Promise.resolve({ ok: true }), {
    signal: stop.signal,
    concurrency: 4,
    maxAttempts: 3,
    retryDelayMs: () => 10,
    graceMs: 1_000,
  });
  // The consumer attaches its intake on its first turn; then the accept commits leased to
  // it, and its fdatasync is under way when the stop arrives.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const accepting = store.accept(event());
  stop.abort();
  assert.equal(await answerOf(accepting), "accepted");
  assert.equal(await within(consuming.then(() => "ended")), "ended", "consume() ended");
  assert.equal(await within(store.close().then(() => "closed")), "closed");
});

/** Another process holding `path`'s write lock for `holdMs`, from when this resolves. */
async function lockHolder(path: string, holdMs: number) {
  const code = `import { DatabaseSync } from "node:sqlite";
    const db = new DatabaseSync(${JSON.stringify(path)});
    db.exec("PRAGMA journal_mode = DELETE; BEGIN EXCLUSIVE;");
    console.log("locked");
    await new Promise((resolve) => setTimeout(resolve, ${holdMs}));
    db.exec("COMMIT");
    db.close();`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = await within(reader.read());
  reader.releaseLock();
  assert.ok(first !== "unanswered" && first.value?.includes("locked"), "the holder took the lock");
  return {
    [Symbol.asyncDispose]: async () => {
      try {
        child.kill();
      } catch {
        // already ended
      }
      await child.stdout.cancel().catch(() => {});
      await child.status;
    },
  };
}

Deno.test("openSqliteEventStore waits for another process's lock instead of failing at once", async () => {
  await using dir = await tempDir("hookgate-sqlite-busy-");
  const file = `${dir.path}/hookgate.db`;
  await Deno.writeFile(file, new Uint8Array(), { mode: 0o600 });
  await using _holder = await lockHolder(file, 1_000);
  await using store = closing(await openSqliteEventStore(file));
  assert.equal(await answerOf(store.accept(event())), "accepted");
});

Deno.test("SqliteEventStore: after a failed fdatasync nothing more is acknowledged, not even a replay, until it is opened again", async () => {
  await using dir = await tempDir("hookgate-sqlite-eio-");
  const file = `${dir.path}/hookgate.db`;
  const lost = event();
  const before = event();
  {
    await using store = closing(await openSqliteEventStore(file));
    assert.equal(await answerOf(store.accept(before)), "accepted");
    assert.equal(await answerOf(store.accept(before)), "duplicate", "from the claim cache");
    // One fdatasync fails, as a disk error reports itself; the kernel may then drop the
    // pages it could not write and let the next fdatasync succeed.
    const syncData = Deno.FsFile.prototype.syncData;
    Deno.FsFile.prototype.syncData = function () {
      Deno.FsFile.prototype.syncData = syncData;
      return Promise.reject(new Error("Input/output error (os error 5)"));
    };
    try {
      const first = await answerOf(store.accept(lost));
      assert.match(first, /^error: .*fdatasync of the event store failed/);
    } finally {
      Deno.FsFile.prototype.syncData = syncData;
    }
    // Not even a replay of an event on disk before the failure, which the claim cache holds.
    for (const again of [lost, event(), before]) {
      const answer = await answerOf(store.accept(again));
      assert.match(answer, /^error: .*no event is acknowledged until serve restarts/, answer);
    }
    // The kind serve turns into a 503 /healthz, so a supervisor restarts it.
    assert.ok(await store.accept(event()).catch((error) => error) instanceof StoreFailedError);
  }
  await using reopened = closing(await openSqliteEventStore(file));
  assert.equal(await answerOf(reopened.accept(event())), "accepted");
});

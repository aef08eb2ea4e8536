/**
 * A local store spec that names the wrong thing is refused before anything is written or
 * any file's mode is changed: an in-memory database, a file that is not a database, another
 * engine's store, another program's database. A hookgate SQLite store made before its file
 * was marked as hookgate's still opens.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { openStore, StoreSpecError } from "../../lib/store/mod.ts";
import { event } from "../support/contract_events.ts";
import { closing } from "../support/closing.ts";
import { tempDir } from "../support/temp_dir.ts";

function tablesOf(path: string): string[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
      name: string;
    }[]).map(({ name }) => name).sort();
  } finally {
    db.close();
  }
}

/** Opens the store `spec` names, accepts one event into it and closes it; returns the event. */
async function acceptedInto(spec: string, dataDir: string) {
  const pending = event();
  await using store = closing(await openStore(spec, { dataDir }));
  assert.equal(await store.accept(pending), "accepted");
  return pending;
}

function pragma(path: string, name: string): number {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return Number(Object.values(db.prepare(`PRAGMA ${name}`).get() ?? {})[0]);
  } finally {
    db.close();
  }
}

for (const spec of ["sqlite::memory:", "sqlite:file:events?mode=memory", "kv::memory:"]) {
  Deno.test(`openStore refuses '${spec}': a store that is not a file loses what it acknowledged`, async () => {
    await using dir = await tempDir("hookgate-spec-");
    const before = [...Deno.readDirSync(".")].map((entry) => entry.name).sort();
    await assert.rejects(
      () => openStore(spec, { dataDir: dir.path }),
      (error) => error instanceof StoreSpecError && /does not name a file/.test(error.message),
    );
    assert.deepEqual([...Deno.readDirSync(".")].map((entry) => entry.name).sort(), before);
  });
}

Deno.test("openStore refuses a file that is not a database, and leaves its mode and bytes alone", async () => {
  await using dir = await tempDir("hookgate-spec-");
  const script = `${dir.path}/deploy.sh`;
  const text = "#!/bin/sh\necho deploying\n";
  await Deno.writeTextFile(script, text);
  await Deno.chmod(script, 0o755);
  for (const engine of ["sqlite", "kv"]) {
    await assert.rejects(
      () => openStore(`${engine}:${script}`, { dataDir: dir.path }),
      /is not a SQLite database/,
    );
    assert.equal((await Deno.stat(script)).mode! & 0o777, 0o755);
    assert.equal(await Deno.readTextFile(script), text);
  }
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((entry) => entry.name), ["deploy.sh"]);
});

Deno.test("openStore refuses a Deno KV store named as sqlite:, and its pending events stay the KV store's", async () => {
  await using dir = await tempDir("hookgate-spec-");
  const file = `${dir.path}/hookgate.kv`;
  const pending = await acceptedInto(`kv:${file}`, dir.path);
  const tables = tablesOf(file);
  await assert.rejects(
    () => openStore(`sqlite:${file}`, { dataDir: dir.path }),
    /is a Deno KV store, not a hookgate SQLite store: open it with kv:/,
  );
  assert.deepEqual(tablesOf(file), tables, "no table was added to the KV file");
  await using kv = closing(await openStore(`kv:${file}`, { dataDir: dir.path }));
  assert.equal((await kv.get(pending.route, pending.key))?.status, "pending");
});

Deno.test("openStore refuses a hookgate SQLite store named as kv:, and Deno KV writes nothing into it", async () => {
  await using dir = await tempDir("hookgate-spec-");
  const file = `${dir.path}/hookgate.db`;
  await acceptedInto(`sqlite:${file}`, dir.path);
  await assert.rejects(
    () => openStore(`kv:${file}`, { dataDir: dir.path }),
    (error) => error instanceof StoreSpecError && error.message.includes(`sqlite:${file}`),
  );
  assert.deepEqual(tablesOf(file), ["alias", "event"]);
});

Deno.test("openStore refuses another program's SQLite database under either engine, and changes nothing in it", async () => {
  await using dir = await tempDir("hookgate-spec-");
  const file = `${dir.path}/app.db`;
  const db = new DatabaseSync(file);
  db.exec("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ada');");
  db.close();
  await Deno.chmod(file, 0o644);
  for (const engine of ["sqlite", "kv"]) {
    await assert.rejects(
      () => openStore(`${engine}:${file}`, { dataDir: dir.path }),
      (error) =>
        error instanceof StoreSpecError &&
        /another program's SQLite database \(tables: users\)/.test(error.message),
    );
    assert.deepEqual(tablesOf(file), ["users"]);
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o644, "its mode is as it was");
    const check = new DatabaseSync(file, { readOnly: true });
    try {
      assert.deepEqual({ ...check.prepare("PRAGMA journal_mode").get() }, {
        journal_mode: "delete",
      });
    } finally {
      check.close();
    }
    assert.deepEqual([...Deno.readDirSync(dir.path)].map((entry) => entry.name), ["app.db"]);
  }
});

Deno.test("a hookgate SQLite store from before its file was marked opens, keeps its events, and is marked", async () => {
  await using dir = await tempDir("hookgate-spec-");
  const file = `${dir.path}/hookgate.db`;
  const pending = await acceptedInto(`sqlite:${file}`, dir.path);
  const applicationId = pragma(file, "application_id");
  assert.notEqual(applicationId, 0, "a new store is marked as hookgate's");
  const db = new DatabaseSync(file);
  db.exec("PRAGMA application_id = 0");
  db.close();
  {
    await using store = closing(await openStore(`sqlite:${file}`, { dataDir: dir.path }));
    assert.equal((await store.get(pending.route, pending.key))?.status, "pending");
  }
  assert.equal(pragma(file, "application_id"), applicationId);
});

Deno.test("openStore says plainly when a spec names a directory, or a file in a directory that does not exist", async () => {
  await using dir = await tempDir("hookgate-spec-");
  await assert.rejects(
    () => openStore(`sqlite:${dir.path}`, { dataDir: dir.path }),
    (error) =>
      error instanceof StoreSpecError &&
      error.message.includes(
        `names a directory: name a file in it, e.g. sqlite:${dir.path}/hookgate.db`,
      ),
  );
  const missing = `${dir.path}/not-made-yet/events.db`;
  await assert.rejects(
    () => openStore(`sqlite:${missing}`, { dataDir: dir.path }),
    (error) =>
      error instanceof StoreSpecError &&
      error.message.includes(`mkdir -p ${dir.path}/not-made-yet`),
  );
  assert.deepEqual([...Deno.readDirSync(dir.path)], [], "nothing was created");
});

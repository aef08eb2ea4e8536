import assert from "node:assert/strict";
import { CliError, createMemoryOutput, ExitCode } from "../../lib/cli/mod.ts";
import { chooseStore, openChosenStore, storeFlags } from "../../lib/cli/store_choice.ts";
import { tempDir } from "../support/temp_dir.ts";

Deno.test("chooseStore() prefers --store, then HOOKGATE_STORE, then the SQLite file under --data-dir", () => {
  const context = { cwd: "/p", env: { HOOKGATE_STORE: "redis://r:6379" } };
  assert.deepEqual(chooseStore({ store: "kv:/x.kv" }, context), {
    dataDir: "/p/.hookgate",
    storeSpec: "kv:/x.kv",
    storeFromFlag: true,
  });
  assert.equal(chooseStore({}, context).storeSpec, "redis://r:6379");
  assert.equal(
    chooseStore({}, { cwd: "/p", env: {} }).storeSpec,
    "sqlite:/p/.hookgate/hookgate.db",
  );
});

Deno.test("storeFlags() names the store another command in the same directory must open, never a password", () => {
  const flags = (values: { store?: string; "data-dir"?: string }, env = {}) =>
    storeFlags(chooseStore(values, { cwd: "/p", env }), "/p");
  assert.deepEqual(flags({}), []);
  assert.deepEqual(flags({ "data-dir": "/d" }), ["--data-dir", "/d"]);
  assert.deepEqual(flags({ store: "sqlite:/x.db" }), ["--store", "sqlite:/x.db"]);
  assert.deepEqual(flags({ store: "redis://u:pw-9f3@r:6379/2?prefix=eu" }), [
    "--store",
    "redis://u@r:6379/2?prefix=eu",
  ]);
  assert.deepEqual(flags({}, { HOOKGATE_STORE: "rediss://:pw-9f3@r:6380" }), [
    "--store",
    "rediss://r:6380",
  ]);
});

Deno.test("chooseStore() keeps the Deno KV file an earlier hookgate made, until a SQLite one is there", async () => {
  await using dir = await tempDir("hookgate-store-choice-");
  const context = { cwd: dir.path, env: {} };
  await Deno.mkdir(`${dir.path}/.hookgate`);
  assert.equal(chooseStore({}, context).storeSpec, `sqlite:${dir.path}/.hookgate/hookgate.db`);
  await Deno.writeFile(`${dir.path}/.hookgate/hookgate.kv`, new Uint8Array());
  assert.equal(chooseStore({}, context).storeSpec, `kv:${dir.path}/.hookgate/hookgate.kv`);
  await Deno.writeFile(`${dir.path}/.hookgate/hookgate.db`, new Uint8Array());
  assert.equal(chooseStore({}, context).storeSpec, `sqlite:${dir.path}/.hookgate/hookgate.db`);
});

Deno.test("openChosenStore(): an unknown store in --store is a usage error, in HOOKGATE_STORE a configuration error", async () => {
  const context = { env: {}, output: createMemoryOutput() };
  for (const [fromFlag, code] of [[true, ExitCode.usage], [false, ExitCode.config]] as const) {
    await assert.rejects(
      openChosenStore(
        { dataDir: "/nonexistent", storeSpec: "mongo://db", storeFromFlag: fromFlag },
        context,
        { create: false },
      ),
      (error: unknown) =>
        error instanceof CliError && error.exitCode === code &&
        error.message.includes(fromFlag ? "--store" : "HOOKGATE_STORE") &&
        error.message.includes("kv:PATH"),
    );
  }
});

Deno.test("openChosenStore() without create refuses a KV file that does not exist, and creates nothing", async () => {
  await using dir = await tempDir("hookgate-store-choice-");
  const choice = chooseStore({ "data-dir": `${dir.path}/data` }, { cwd: dir.path, env: {} });
  await assert.rejects(
    openChosenStore(choice, { env: {}, output: createMemoryOutput() }, { create: false }),
    (error: unknown) =>
      error instanceof CliError && error.exitCode === ExitCode.unavailable &&
      error.message.includes("hookgate serve"),
  );
  assert.deepEqual([...Deno.readDirSync(dir.path)], []);
});

Deno.test("openChosenStore() with create makes the data dir private and opens the store", async () => {
  await using dir = await tempDir("hookgate-store-choice-");
  const choice = chooseStore({ "data-dir": `${dir.path}/data` }, { cwd: dir.path, env: {} });
  const store = await openChosenStore(choice, { env: {}, output: createMemoryOutput() }, {
    create: true,
  });
  await store.close();
  assert.equal(Deno.statSync(`${dir.path}/data`).mode! & 0o777, 0o700);
});

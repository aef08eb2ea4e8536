import assert from "node:assert/strict";
import { writeEnvFile } from "../../lib/setup/mod.ts";
import { tempDir } from "../support/temp_dir.ts";
import { fileMode, writeFileWithMode } from "../support/temp_repo.ts";

Deno.test("writeEnvFile() creates the file with mode 0600", async () => {
  await using dir = await tempDir();
  await writeEnvFile(`${dir.path}/.env`, "A=1\n");
  assert.equal(await Deno.readTextFile(`${dir.path}/.env`), "A=1\n");
  assert.equal(await fileMode(`${dir.path}/.env`), 0o600);
});

Deno.test("writeEnvFile() replaces a world-readable file with a 0600 one", async () => {
  await using dir = await tempDir();
  await writeFileWithMode(`${dir.path}/.env`, "OLD=1\n", 0o644);
  await writeEnvFile(`${dir.path}/.env`, "NEW=2\n");
  assert.equal(await Deno.readTextFile(`${dir.path}/.env`), "NEW=2\n");
  assert.equal(await fileMode(`${dir.path}/.env`), 0o600);
});

Deno.test("writeEnvFile() leaves no temporary file behind", async () => {
  await using dir = await tempDir();
  await writeEnvFile(`${dir.path}/.env`, "A=1\n");
  await writeEnvFile(`${dir.path}/.env`, "A=2\n");
  const names = [];
  for await (const entry of Deno.readDir(dir.path)) names.push(entry.name);
  assert.deepEqual(names, [".env"]);
});

Deno.test("writeEnvFile() keeps the old file and cleans up when the rename fails", async () => {
  await using dir = await tempDir();
  // A directory in the way makes the final rename fail after the temp file was written.
  await Deno.mkdir(`${dir.path}/.env`);
  await Deno.writeTextFile(`${dir.path}/.env/inside`, "x");
  await assert.rejects(writeEnvFile(`${dir.path}/.env`, "A=1\n"));
  const names = [];
  for await (const entry of Deno.readDir(dir.path)) names.push(entry.name);
  assert.deepEqual(names, [".env"]);
  assert.equal(await Deno.readTextFile(`${dir.path}/.env/inside`), "x");
});

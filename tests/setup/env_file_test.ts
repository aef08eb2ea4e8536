import assert from "node:assert/strict";
import { writeEnvFile } from "../../lib/setup/mod.ts";
import { fileMode, makeTempDir, removeDir, writeFileWithMode } from "../support/temp_repo.ts";

Deno.test("writeEnvFile() creates the file with mode 0600", async () => {
  const dir = await makeTempDir();
  try {
    await writeEnvFile(`${dir}/.env`, "A=1\n");
    assert.equal(await Deno.readTextFile(`${dir}/.env`), "A=1\n");
    assert.equal(await fileMode(`${dir}/.env`), 0o600);
  } finally {
    await removeDir(dir);
  }
});

Deno.test("writeEnvFile() replaces a world-readable file with a 0600 one", async () => {
  const dir = await makeTempDir();
  try {
    await writeFileWithMode(`${dir}/.env`, "OLD=1\n", 0o644);
    await writeEnvFile(`${dir}/.env`, "NEW=2\n");
    assert.equal(await Deno.readTextFile(`${dir}/.env`), "NEW=2\n");
    assert.equal(await fileMode(`${dir}/.env`), 0o600);
  } finally {
    await removeDir(dir);
  }
});

Deno.test("writeEnvFile() leaves no temporary file behind", async () => {
  const dir = await makeTempDir();
  try {
    await writeEnvFile(`${dir}/.env`, "A=1\n");
    await writeEnvFile(`${dir}/.env`, "A=2\n");
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names, [".env"]);
  } finally {
    await removeDir(dir);
  }
});

Deno.test("writeEnvFile() keeps the old file and cleans up when the rename fails", async () => {
  const dir = await makeTempDir();
  try {
    // A directory in the way makes the final rename fail after the temp file was written.
    await Deno.mkdir(`${dir}/.env`);
    await Deno.writeTextFile(`${dir}/.env/inside`, "x");
    await assert.rejects(writeEnvFile(`${dir}/.env`, "A=1\n"));
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names, [".env"]);
    assert.equal(await Deno.readTextFile(`${dir}/.env/inside`), "x");
  } finally {
    await removeDir(dir);
  }
});

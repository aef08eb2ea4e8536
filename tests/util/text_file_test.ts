import assert from "node:assert/strict";
import { readTextIfExists } from "../../lib/util/mod.ts";
import { tempDir } from "../support/temp_dir.ts";

Deno.test("readTextIfExists() reads a file, gives null for a missing one, and throws on anything else", async () => {
  await using dir = await tempDir("hookgate-text-file-");
  await Deno.writeTextFile(`${dir.path}/.gitignore`, ".env\n");
  assert.equal(await readTextIfExists(`${dir.path}/.gitignore`), ".env\n");
  assert.equal(await readTextIfExists(`${dir.path}/.env`), null);
  // A directory where a file is expected is a real failure, not "no file".
  await assert.rejects(() => readTextIfExists(dir.path));
});

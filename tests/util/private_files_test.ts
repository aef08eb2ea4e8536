import assert from "node:assert/strict";
import { makePrivateDir } from "../../lib/util/mod.ts";
import { tempDir } from "../support/temp_dir.ts";

Deno.test("makePrivateDir() narrows an existing directory others could write to or read to 0700", async () => {
  await using root = await tempDir();
  for (const mode of [0o777, 0o775, 0o755, 0o710]) {
    const dir = `${root.path}/data-${mode.toString(8)}`;
    Deno.mkdirSync(dir);
    Deno.chmodSync(dir, mode);
    await makePrivateDir(dir);
    assert.equal(Deno.statSync(dir).mode! & 0o777, 0o700, `was ${mode.toString(8)}`);
  }
});

Deno.test("makePrivateDir() creates a missing directory 0700 and leaves a private one as it is", async () => {
  await using root = await tempDir();
  const previous = Deno.umask(0o000);
  try {
    await makePrivateDir(`${root.path}/new/data`);
  } finally {
    Deno.umask(previous);
  }
  assert.equal(Deno.statSync(`${root.path}/new/data`).mode! & 0o777, 0o700);
  const owner = `${root.path}/owner-only`;
  Deno.mkdirSync(owner);
  Deno.chmodSync(owner, 0o500);
  await makePrivateDir(owner);
  assert.equal(Deno.statSync(owner).mode! & 0o777, 0o500);
});

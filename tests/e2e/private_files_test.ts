/**
 * hookgate's data directory is 0700 and every file it writes there (event store, token
 * revocations, trace) 0600, even when serve runs under umask 000.
 */
import assert from "node:assert/strict";
import { startServe } from "../support/serve_process.ts";
import { tempDir } from "../support/temp_dir.ts";
import { postSigned } from "../support/signing.ts";

/** Each local store, with the files it writes in the data dir. */
const STORES: [string, string[], string][] = [
  ["Deno KV", ["--store", "kv"], "hookgate.kv"],
  ["SQLite", ["--store", "sqlite"], "hookgate.db"],
];

/** Every file in `dir` is 0600; returns their names. */
function assertPrivateFiles(dir: string): string[] {
  const files = [...Deno.readDirSync(dir)].filter((entry) => entry.isFile).map((e) => e.name);
  for (const name of files) {
    const mode = Deno.statSync(`${dir}/${name}`).mode! & 0o777;
    assert.equal(mode, 0o600, `${name} is ${mode.toString(8)}`);
  }
  return files;
}

for (const [storeName, storeArgs, storeFile] of STORES) {
  Deno.test(`under umask 000, serve on ${storeName} creates its data dir 0700 and its store and trace files 0600`, async () => {
    const secret = "private-files-secret-" + crypto.randomUUID();
    await using cwd = await tempDir("hookgate-umask-");
    // The child inherits the umask it is spawned with (startServe spawns before its first await).
    const previous = Deno.umask(0o000);
    let starting;
    try {
      starting = startServe({
        env: { WEBHOOK_SECRET: secret, HOOKGATE_TOKEN_SECRET: "token-" + crypto.randomUUID() },
        args: storeArgs,
        cwd: cwd.path,
      });
    } finally {
      Deno.umask(previous);
    }
    await using server = await starting;
    {
      const response = await postSigned(server.url, '{"id":"umask-1"}', secret);
      assert.equal(response.status, 200);
      await response.body?.cancel();
    }
    const dir = `${cwd.path}/.hookgate`;
    // While it runs: the store's journal files (SQLite's -wal and -shm) too.
    const running = assertPrivateFiles(dir);
    assert.ok(running.includes(storeFile), `${storeFile} in ${running}`);
    assert.equal(await server.stop(), 0);
    assert.equal(Deno.statSync(dir).mode! & 0o777, 0o700);
    const files = assertPrivateFiles(dir);
    for (const name of [storeFile, "tokens.kv", "trace.jsonl"]) {
      assert.ok(files.includes(name), `${name} in ${files}`);
    }
  });
}

Deno.test("serve narrows an existing world-writable data dir to 0700", async () => {
  // Anyone who can write the data dir could swap in an event store of their own making.
  const secret = "private-dir-secret-" + crypto.randomUUID();
  await using cwd = await tempDir("hookgate-open-dir-");
  const dir = `${cwd.path}/.hookgate`;
  Deno.mkdirSync(dir);
  Deno.chmodSync(dir, 0o777);
  await using server = await startServe({
    env: { WEBHOOK_SECRET: secret, HOOKGATE_TOKEN_SECRET: "token-" + crypto.randomUUID() },
    cwd: cwd.path,
  });
  assert.equal(Deno.statSync(dir).mode! & 0o777, 0o700);
  assert.equal(await server.stop(), 0);
});

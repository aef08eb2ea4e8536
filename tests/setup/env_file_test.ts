import assert from "node:assert/strict";
import { writeEnvFile } from "../../lib/setup/mod.ts";
import { tempDir } from "../support/temp_dir.ts";
import { fileMode, git, tempRepo, writeFileWithMode } from "../support/temp_repo.ts";

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

Deno.test("writeEnvFile() killed before its rename leaves nothing git would add: the leftover is ignored by the line .env", async () => {
  await using repo = await tempRepo();
  await Deno.writeTextFile(`${repo.path}/.gitignore`, ".env\n");
  const module = JSON.stringify(new URL("../../lib/setup/env_file.ts", import.meta.url).href);
  // The rename never comes: the child writes and flushes the new text, says so, and waits.
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { writeEnvFile } from ${module};
       Deno.rename = () => { console.log("written"); return new Promise(() => {}); };
       await writeEnvFile(".env", "WEBHOOK_SECRET=leftover-secret-0123456789\\n");`,
    ],
    cwd: repo.path,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const deadline = setTimeout(() => child.kill("SIGKILL"), 20_000);
  try {
    const { value } = await reader.read();
    assert.equal(value?.trim(), "written");
  } finally {
    clearTimeout(deadline);
    child.kill("SIGKILL");
    await child.status;
    await reader.cancel().catch(() => {});
  }
  const leftovers: string[] = [];
  for await (const entry of Deno.readDir(repo.path)) {
    if (entry.name.endsWith(".tmp")) leftovers.push(entry.name);
  }
  assert.equal(leftovers.length, 1, "the crash left its temporary directory behind");
  const untracked = await git(repo.path, "status", "--porcelain", "--untracked-files=all");
  assert.equal(untracked.trim(), "?? .gitignore", "only .gitignore is there to add");
});

import assert from "node:assert/strict";
import { readGitFacts } from "../../lib/setup/mod.ts";
import { tempDir } from "../support/temp_dir.ts";
import { git, tempRepo } from "../support/temp_repo.ts";

Deno.test("readGitFacts() says when a directory is not a repository", async () => {
  await using dir = await tempDir();
  assert.deepEqual(await readGitFacts(dir.path, ".env"), { kind: "not-repo" });
});

Deno.test("readGitFacts() counts a staged file as tracked, not yet as history", async () => {
  await using dir = await tempRepo();
  await Deno.writeTextFile(`${dir.path}/.env`, "A=1\n");
  assert.deepEqual(await readGitFacts(dir.path, ".env"), {
    kind: "repo",
    tracked: false,
    inHistory: false,
  });
  await git(dir.path, "add", ".env");
  assert.deepEqual(await readGitFacts(dir.path, ".env"), {
    kind: "repo",
    tracked: true,
    inHistory: false,
  });
});

Deno.test("readGitFacts() remembers a committed file after it is untracked", async () => {
  await using dir = await tempRepo();
  await Deno.writeTextFile(`${dir.path}/.env`, "A=1\n");
  await git(dir.path, "add", ".env");
  await git(dir.path, "commit", "--quiet", "-m", "oops");
  await git(dir.path, "rm", "--cached", "--quiet", ".env");
  assert.deepEqual(await readGitFacts(dir.path, ".env"), {
    kind: "repo",
    tracked: false,
    inHistory: true,
  });
});

Deno.test("readGitFacts() matches the path literally, not as a pattern", async () => {
  await using dir = await tempRepo();
  await Deno.writeTextFile(`${dir.path}/aenv`, "x");
  await git(dir.path, "add", "aenv");
  await git(dir.path, "commit", "--quiet", "-m", "not a secret");
  assert.deepEqual(await readGitFacts(dir.path, "?env"), {
    kind: "repo",
    tracked: false,
    inHistory: false,
  });
});

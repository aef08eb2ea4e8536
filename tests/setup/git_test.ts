import assert from "node:assert/strict";
import { readGitFacts } from "../../lib/setup/mod.ts";
import { git, makeTempDir, makeTempRepo, removeDir } from "../support/temp_repo.ts";

Deno.test("readGitFacts() says when a directory is not a repository", async () => {
  const dir = await makeTempDir();
  try {
    assert.deepEqual(await readGitFacts(dir, ".env"), { kind: "not-repo" });
  } finally {
    await removeDir(dir);
  }
});

Deno.test("readGitFacts() counts a staged file as tracked, not yet as history", async () => {
  const dir = await makeTempRepo();
  try {
    await Deno.writeTextFile(`${dir}/.env`, "A=1\n");
    assert.deepEqual(await readGitFacts(dir, ".env"), {
      kind: "repo",
      tracked: false,
      inHistory: false,
    });
    await git(dir, "add", ".env");
    assert.deepEqual(await readGitFacts(dir, ".env"), {
      kind: "repo",
      tracked: true,
      inHistory: false,
    });
  } finally {
    await removeDir(dir);
  }
});

Deno.test("readGitFacts() remembers a committed file after it is untracked", async () => {
  const dir = await makeTempRepo();
  try {
    await Deno.writeTextFile(`${dir}/.env`, "A=1\n");
    await git(dir, "add", ".env");
    await git(dir, "commit", "--quiet", "-m", "oops");
    await git(dir, "rm", "--cached", "--quiet", ".env");
    assert.deepEqual(await readGitFacts(dir, ".env"), {
      kind: "repo",
      tracked: false,
      inHistory: true,
    });
  } finally {
    await removeDir(dir);
  }
});

Deno.test("readGitFacts() matches the path literally, not as a pattern", async () => {
  const dir = await makeTempRepo();
  try {
    await Deno.writeTextFile(`${dir}/aenv`, "x");
    await git(dir, "add", "aenv");
    await git(dir, "commit", "--quiet", "-m", "not a secret");
    assert.deepEqual(await readGitFacts(dir, "?env"), {
      kind: "repo",
      tracked: false,
      inHistory: false,
    });
  } finally {
    await removeDir(dir);
  }
});

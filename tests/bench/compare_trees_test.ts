/** `deno task bench:compare` refuses what it cannot measure before it starts any server. */
import assert from "node:assert/strict";

const SCRIPT = new URL("../../bench/compare_trees.ts", import.meta.url).pathname;

async function compare(...args: string[]): Promise<{ code: number; stderr: string }> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", SCRIPT, ...args],
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code, stderr: new TextDecoder().decode(stderr) };
}

Deno.test("bench:compare without --tree says how to make a base checkout, and exits 64", async () => {
  const { code, stderr } = await compare();
  assert.equal(code, 64);
  assert.match(stderr, /give the base with --tree DIR .*git worktree add/);
});

Deno.test("bench:compare names a --tree that is not there, and an unknown scenario", async () => {
  const missing = await compare("--tree", "/nonexistent/base");
  assert.equal(missing.code, 66);
  assert.match(missing.stderr, /--tree \/nonexistent\/base is not a directory here/);
  const unknown = await compare("--tree", ".", "--scenarios", "forged,bogus");
  assert.equal(unknown.code, 64);
  assert.match(unknown.stderr, /not bogus/);
  const rounds = await compare("--tree", ".", "--rounds", "0");
  assert.equal(rounds.code, 64);
  assert.match(rounds.stderr, /--rounds takes a whole number of at least 1/);
});

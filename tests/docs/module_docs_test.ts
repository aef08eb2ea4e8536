/**
 * A newcomer opens a file and learns from its first lines what it is for: every module of
 * lib/, bench/ and tests/support/ (and main.ts) starts with a comment, and every file of
 * those and of tests/ stays within 400 lines, past which it is split by concern.
 */
import assert from "node:assert/strict";
import { REPO_ROOT, walkFiles } from "../support/doc_references.ts";
import { tempDir } from "../support/temp_dir.ts";

const MAX_LINES = 400;
const MODULE_DIRS = ["lib", "bench", "tests/support"];
const MODULE_FILE = /\.(ts|js)$/;

/** What is wrong with one module's text: no opening comment, or too many lines. */
function moduleProblems(name: string, text: string): string[] {
  const problems: string[] = [];
  const first = text.split("\n").find((line) => line.trim() !== "") ?? "";
  if (!/^\s*(\/\*|\/\/)/.test(first)) {
    problems.push(`${name}: starts with code, not a comment saying what the file is for`);
  }
  const lines = text.endsWith("\n") ? text.split("\n").length - 1 : text.split("\n").length;
  if (lines > MAX_LINES) problems.push(`${name}: ${lines} lines (at most ${MAX_LINES})`);
  return problems;
}

async function treeProblems(root: string, dirs: readonly string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const dir of dirs) {
    for (const path of await walkFiles(`${root}${dir}`, MODULE_FILE)) {
      problems.push(...moduleProblems(path.slice(root.length), await Deno.readTextFile(path)));
    }
  }
  return problems;
}

Deno.test("every module of lib/, bench/ and tests/support/ opens with a comment and has at most 400 lines", async () => {
  const problems = [
    ...await treeProblems(REPO_ROOT, MODULE_DIRS),
    ...moduleProblems("main.ts", await Deno.readTextFile(`${REPO_ROOT}main.ts`)),
  ];
  assert.deepEqual(problems, []);
});

Deno.test("every test file has at most 400 lines", async () => {
  const problems: string[] = [];
  for (const path of await walkFiles(`${REPO_ROOT}tests`, MODULE_FILE)) {
    const name = path.slice(REPO_ROOT.length);
    problems.push(
      ...moduleProblems(name, await Deno.readTextFile(path)).filter((p) => p.includes(" lines ")),
    );
  }
  assert.deepEqual(problems, []);
});

Deno.test("the module check reports a file that opens with code and one that is too long", async () => {
  await using root = await tempDir("hookgate-module-docs-");
  await Deno.mkdir(`${root.path}/lib/probe`, { recursive: true });
  const write = (name: string, text: string) =>
    Deno.writeTextFile(`${root.path}/lib/probe/${name}`, text);
  await write("documented.ts", "/** What this is for. */\nexport const a = 1;\n");
  await write("page.js", "\n// The page's script.\nexport const b = 2;\n");
  await write("bare.ts", 'import { a } from "./documented.ts";\nexport const c = a;\n');
  await write("long.ts", "/** Long. */\n" + "export const d = 1;\n".repeat(MAX_LINES));
  assert.deepEqual(await treeProblems(`${root.path}/`, ["lib"]), [
    "lib/probe/bare.ts: starts with code, not a comment saying what the file is for",
    `lib/probe/long.ts: ${MAX_LINES + 1} lines (at most ${MAX_LINES})`,
  ]);
});

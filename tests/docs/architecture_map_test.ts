/**
 * docs/architecture.md is the map of lib/: every folder must be on it, what its table
 * "What each folder offers" says a folder offers must be exported by that folder's mod.ts,
 * and code outside a folder (main.ts, other folders, bench/) imports only its mod.ts.
 */
import assert from "node:assert/strict";
import { REPO_ROOT, walkFiles } from "../support/doc_references.ts";
import { tempDir } from "../support/temp_dir.ts";

const MAP = "docs/architecture.md";
const TABLE_HEADING = "## What each folder offers";

/** A throwaway repository root holding `dirs`, for showing that a check fails. */
async function throwawayRoot(dirs: string[]) {
  const root = await tempDir("hookgate-architecture-map-");
  for (const dir of dirs) await Deno.mkdir(`${root.path}/${dir}`, { recursive: true });
  return Object.assign(root, { base: `${root.path}/` });
}

/** Every folder under lib/ that has a mod.ts, as `lib/x/` or `lib/x/y/`. */
async function libFolders(root: string, dir = "lib"): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(`${root}${dir}`)) {
    if (!entry.isDirectory) continue;
    const folder = `${dir}/${entry.name}`;
    try {
      await Deno.stat(`${root}${folder}/mod.ts`);
      found.push(`${folder}/`);
    } catch {
      // not a module folder
    }
    found.push(...await libFolders(root, folder));
  }
  return found.sort();
}

/** The rows of the table under TABLE_HEADING: folder → the identifiers named in backticks. */
function offeredNames(map: string): Map<string, string[]> {
  const start = map.indexOf(TABLE_HEADING);
  assert.notEqual(start, -1, `${MAP} has no "${TABLE_HEADING.slice(3)}" section`);
  const section = map.slice(start).split(/\n## /)[0] as string;
  const rows = new Map<string, string[]>();
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim());
    const folder = /^`(lib\/[\w/]+\/)`$/.exec(cells[1] ?? "")?.[1];
    if (folder === undefined) continue;
    const names = [...(cells[2] ?? "").matchAll(/`([A-Za-z_$][\w$]*)`/g)].map((m) => m[1]);
    rows.set(folder, names as string[]);
  }
  return rows;
}

/** Whether `folder`'s mod.ts makes `name` available, by name or through `export *`. */
async function exportsName(root: string, folder: string, name: string): Promise<boolean> {
  const mod = await Deno.readTextFile(`${root}${folder}mod.ts`);
  const declared = new RegExp(
    `export\\s+(?:async\\s+)?(?:function\\*?|const|let|class|type|interface|enum)\\s+${name}\\b`,
  );
  const listed = new RegExp(`export\\s*(?:type\\s*)?\\{[^}]*\\b${name}\\b[^}]*\\}`);
  if (listed.test(mod) || declared.test(mod)) return true;
  for (const [, file] of mod.matchAll(/export \* from "\.\/([\w/]+\.ts)"/g)) {
    const text = await Deno.readTextFile(`${root}${folder}${file}`);
    if (declared.test(text) || listed.test(text)) return true;
  }
  return false;
}

/** What the map gets wrong about the tree under `root`. */
async function mapProblems(root: string): Promise<string[]> {
  const map = await Deno.readTextFile(`${root}${MAP}`);
  const rows = offeredNames(map);
  const problems: string[] = [];
  for (const folder of await libFolders(root)) {
    if (!rows.has(folder)) problems.push(`${folder} has no row in "What each folder offers"`);
  }
  for (const [folder, names] of rows) {
    try {
      await Deno.stat(`${root}${folder}mod.ts`);
    } catch {
      problems.push(`${folder} is on the map but has no mod.ts`);
      continue;
    }
    for (const name of names) {
      if (!await exportsName(root, folder, name)) {
        problems.push(`${folder}mod.ts does not export ${name}`);
      }
    }
  }
  return problems;
}

Deno.test("architecture.md lists every lib/ folder, and each folder exports what it says", async () => {
  assert.deepEqual(await mapProblems(REPO_ROOT), []);
});

Deno.test("the map check reports a folder left off the map and a name its mod.ts lacks", async () => {
  await using root = await throwawayRoot(["docs", "lib/alpha", "lib/beta", "lib/beta/inner"]);
  const base = root.base;
  await Deno.writeTextFile(`${base}lib/alpha/mod.ts`, 'export * from "./a.ts";\n');
  await Deno.writeTextFile(`${base}lib/alpha/a.ts`, "export function present() {}\n");
  await Deno.writeTextFile(`${base}lib/beta/mod.ts`, "export { type Shown } from './b.ts';\n");
  await Deno.writeTextFile(`${base}lib/beta/inner/mod.ts`, "export const x = 1;\n");
  await Deno.writeTextFile(
    `${base}${MAP}`,
    [
      "# Map",
      "",
      TABLE_HEADING,
      "",
      "| folder | offers |",
      "| --- | --- |",
      "| `lib/alpha/` | `present`, `absent` |",
      "| `lib/beta/` | `Shown` |",
      "",
      "## Next",
      "",
      "| `lib/beta/inner/` | `x` |",
    ].join("\n"),
  );
  assert.deepEqual(await mapProblems(base), [
    `lib/beta/inner/ has no row in "What each folder offers"`,
    "lib/alpha/mod.ts does not export absent",
  ]);
});

/** The concern folder a repository path belongs to: `lib/store/kv/x.ts` → `lib/store/`. */
function concernOf(path: string): string | null {
  return /^(lib\/[\w-]+\/)/.exec(path)?.[1] ?? null;
}

/** Imports in `root`'s main.ts, lib/ and bench/ that reach into another folder past its mod.ts. */
async function boundaryCrossings(root: string): Promise<string[]> {
  const files = [`${root}main.ts`];
  for (const dir of ["lib", "bench"]) files.push(...await walkFiles(`${root}${dir}`, /\.ts$/));
  const crossings: string[] = [];
  for (const file of files) {
    const from = file.slice(root.length);
    const text = await Deno.readTextFile(file);
    for (const [, specifier] of text.matchAll(/(?:from|import\()\s*"(\.{1,2}\/[^"]+)"/g)) {
      const target = new URL(specifier as string, `file:///${from}`).pathname.slice(1);
      const concern = concernOf(target);
      if (concern === null || concern === concernOf(from)) continue;
      // A folder's surface is its mod.ts, or the mod.ts of one of its subfolders (store/kv/).
      if (target.endsWith("/mod.ts")) continue;
      crossings.push(`${from} imports ${target}`);
    }
  }
  return crossings;
}

Deno.test("code outside a lib/ folder imports only that folder's mod.ts", async () => {
  assert.deepEqual(await boundaryCrossings(REPO_ROOT), []);
});

Deno.test("the boundary check reports an import past another folder's mod.ts, not one inside", async () => {
  await using root = await throwawayRoot(["lib/alpha", "lib/beta/inner", "bench"]);
  const base = root.base;
  await Deno.writeTextFile(`${base}main.ts`, 'import { a } from "./lib/alpha/mod.ts";\n');
  await Deno.writeTextFile(
    `${base}lib/alpha/a.ts`,
    'import { b } from "../beta/b.ts";\nimport { c } from "../beta/inner/mod.ts";\n',
  );
  await Deno.writeTextFile(`${base}lib/beta/inner/i.ts`, 'import { b } from "../b.ts";\n');
  await Deno.writeTextFile(`${base}bench/x.ts`, 'const m = await import("../lib/beta/b.ts");\n');
  assert.deepEqual(await boundaryCrossings(base), [
    "lib/alpha/a.ts imports lib/beta/b.ts",
    "bench/x.ts imports lib/beta/b.ts",
  ]);
});

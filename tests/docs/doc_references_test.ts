/**
 * The docs are the map a newcomer reads first, and code comments send them there: every
 * path the README, docs/ and the code name must exist, every relative link must reach its
 * file and heading, and every docs section a comment or doc cites by title must exist.
 */
import assert from "node:assert/strict";
import {
  brokenLinks,
  citedSections,
  docFiles,
  missingPaths,
  missingSections,
  REPO_ROOT,
  SOURCE_DIRS,
  walkFiles,
} from "../support/doc_references.ts";
import { tempDir } from "../support/temp_dir.ts";

Deno.test("every repository path named in README.md and docs/ exists", async () => {
  const missing: string[] = [];
  for (const doc of await docFiles(REPO_ROOT)) missing.push(...await missingPaths(REPO_ROOT, doc));
  assert.deepEqual(missing, [], "a doc names a file or folder that is not in the tree");
});

Deno.test("every repository path named in main.ts, lib/, bench/ and tests/support/ exists", async () => {
  // Code comments send a reader to a file as the docs do; a moved file must take them along.
  const files = [`${REPO_ROOT}main.ts`];
  for (const dir of ["lib", "bench", "tests/support"]) {
    files.push(...await walkFiles(`${REPO_ROOT}${dir}`, /\.(ts|js)$/));
  }
  const missing: string[] = [];
  for (const file of files) missing.push(...await missingPaths(REPO_ROOT, file));
  assert.deepEqual(missing, [], "a code comment names a file or folder that is not in the tree");
});

Deno.test("every relative link in README.md and docs/ reaches its file and heading", async () => {
  const broken: string[] = [];
  for (const doc of await docFiles(REPO_ROOT)) broken.push(...await brokenLinks(REPO_ROOT, doc));
  assert.deepEqual(broken, [], "a link leads nowhere (a link is relative to the file it is in)");
});

Deno.test("every docs section that code or docs cite by title exists", async () => {
  const files = [`${REPO_ROOT}main.ts`, ...await docFiles(REPO_ROOT)];
  for (const dir of SOURCE_DIRS) {
    files.push(...await walkFiles(`${REPO_ROOT}${dir}`, /\.(ts|js)$/));
  }
  const missing: string[] = [];
  for (const file of files) missing.push(...await missingSections(REPO_ROOT, file));
  assert.deepEqual(missing, [], "a citation names a section its docs file does not have");
});

Deno.test("the reference checks report a missing path, a broken link and a missing section", async () => {
  // A throwaway tree with one of each fault, so the checks above are seen to fail.
  await using root = await tempDir("hookgate-doc-references-");
  const base = `${root.path}/`;
  await Deno.mkdir(`${base}docs`);
  await Deno.mkdir(`${base}lib`);
  await Deno.writeTextFile(`${base}docs/map.md`, "# Map\n\n## The receive path\n");
  const cite = (doc: string, section: string) => `${doc}, "${section}"`;
  await Deno.writeTextFile(
    `${base}docs/probe.md`,
    [
      "# Probe",
      "",
      "See `lib/`, `lib/<folder>/mod.ts` and `lib/gone/mod.ts`, [the map](map.md#the-receive-path),",
      "[gone](gone.md), [no anchor](map.md#no-such-heading),",
      `${cite("docs/map.md", "The receive path")} and ${cite("docs/map.md", "Nowhere")}.`,
      "",
      "```sh",
      "# a comment in a code block, not a heading",
      "```",
      "",
    ].join("\n"),
  );
  const probe = `${base}docs/probe.md`;
  assert.deepEqual(await missingPaths(base, probe), ["docs/probe.md: lib/gone/mod.ts"]);
  assert.deepEqual(await brokenLinks(base, probe), [
    "docs/probe.md: gone.md",
    "docs/probe.md: map.md#no-such-heading",
  ]);
  assert.deepEqual(await missingSections(base, probe), [
    `docs/probe.md: ${cite("docs/map.md", "Nowhere")}`,
  ]);
  // A title broken over two comment lines is still one citation.
  assert.deepEqual(citedSections(`(${cite("docs/deploy.md", "Slow\n * and idle clients")})`), [
    { doc: "docs/deploy.md", section: "Slow and idle clients" },
  ]);
});

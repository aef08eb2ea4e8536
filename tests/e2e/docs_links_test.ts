/**
 * The documentation's links between its own files lead somewhere: a link in
 * docs/ is relative to docs/, so `(docs/x.md)` there points at docs/docs/x.md.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

async function markdownFiles(): Promise<URL[]> {
  const files = [new URL("README.md", ROOT)];
  for await (const entry of Deno.readDir(new URL("docs/", ROOT))) {
    if (entry.isFile && entry.name.endsWith(".md")) files.push(new URL(`docs/${entry.name}`, ROOT));
  }
  return files;
}

async function exists(url: URL): Promise<boolean> {
  try {
    await Deno.stat(url);
    return true;
  } catch {
    return false;
  }
}

Deno.test("every relative link in README.md and docs/ names a file that exists", async () => {
  const broken: string[] = [];
  for (const file of await markdownFiles()) {
    const text = await Deno.readTextFile(file);
    for (const match of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      const target = match[1] as string;
      if (/^[a-z]+:/.test(target)) continue;
      if (!await exists(new URL(target, file))) {
        broken.push(`${file.pathname.slice(ROOT.pathname.length)} → ${target}`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

/**
 * What the docs refer to, read out of Markdown and source text: repository paths
 * (`lib/receive/`, `tests/support/wait.ts`), relative links with their headings, and
 * citations of a docs section (`docs/architecture.md, "The receive path"`). Each check
 * takes the repository root, so a test can also run it on a throwaway tree.
 */

/** The checkout this file belongs to. */
export const REPO_ROOT = new URL("../../", import.meta.url).pathname;

/** Generated files a doc may name that are not in a fresh checkout. */
const GENERATED = ["bench/results/"];

/**
 * A repository path: main.ts, or something under one of the top-level folders. A pattern
 * (`tests/<folder>/<module>_test.ts`, `contract_*.ts`) stands for the folder it starts in.
 */
const PATH = /(?<![\w./-])(main\.ts|deno\.json|(?:lib|tests|bench|docs|\.ci)\/[\w./*<>-]*[\w/*>])/g;
/** `[text](target)` where target is not a URL. */
const LINK = /\]\(([^)\s]+)\)/g;
/** A docs file, a comma or parenthesis, then the quoted section title; across a line break. */
const CITATION = /(docs\/[\w-]+\.md),? \(?"([^"]+)"/g;

/** Every file under `dir` whose name matches `pattern`, sorted. */
export async function walkFiles(dir: string, pattern: RegExp): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...await walkFiles(path, pattern));
    else if (pattern.test(entry.name)) found.push(path);
  }
  return found.sort();
}

/** README.md and every Markdown file in docs/. */
export async function docFiles(root: string): Promise<string[]> {
  return [`${root}README.md`, ...await walkFiles(`${root}docs`, /\.md$/)];
}

/** Markdown without its fenced code blocks (their `#` lines are not headings). */
function withoutFences(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```[^\n]*$/gm, "");
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

/** The headings of a Markdown text (outside code blocks), as written. */
export function headings(markdown: string): string[] {
  return [...withoutFences(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)].map((m) =>
    m[1] as string
  );
}

/** Citations of a docs section in `text`; comment line breaks inside the title are joined. */
export function citedSections(text: string): { doc: string; section: string }[] {
  const joined = text.replace(/\s*\n\s*(?:\*|\/\/)?\s*/g, " ");
  return [...joined.matchAll(CITATION)].map((m) => ({
    doc: m[1] as string,
    section: m[2] as string,
  }));
}

function shortName(root: string, file: string): string {
  return file.startsWith(root) ? file.slice(root.length) : file;
}

/** Paths `doc` names that are not in the tree under `root`. */
export async function missingPaths(root: string, doc: string): Promise<string[]> {
  const text = await Deno.readTextFile(doc);
  const missing = new Set<string>();
  for (const [, path] of text.matchAll(PATH)) {
    const pattern = path as string;
    const wild = pattern.search(/[*<]/);
    const name = wild === -1 ? pattern : pattern.slice(0, pattern.lastIndexOf("/", wild) + 1);
    if (GENERATED.some((prefix) => name.startsWith(prefix))) continue;
    try {
      await Deno.stat(`${root}${name}`);
    } catch {
      missing.add(`${shortName(root, doc)}: ${name}`);
    }
  }
  return [...missing];
}

/** Relative links in `doc` whose file, or heading after `#`, does not exist. */
export async function brokenLinks(root: string, doc: string): Promise<string[]> {
  const text = await Deno.readTextFile(doc);
  const dir = doc.slice(0, doc.lastIndexOf("/"));
  const broken = new Set<string>();
  for (const [, target] of withoutFences(text).matchAll(LINK)) {
    const link = target as string;
    if (/^[a-z]+:/i.test(link)) continue;
    const [file = "", anchor] = link.split("#");
    const path = file === "" ? doc : `${dir}/${file}`;
    let ok = true;
    try {
      const info = await Deno.stat(path);
      if (anchor !== undefined && info.isFile) {
        ok = headings(await Deno.readTextFile(path)).some((heading) => slug(heading) === anchor);
      }
    } catch {
      ok = false;
    }
    if (!ok) broken.add(`${shortName(root, doc)}: ${link}`);
  }
  return [...broken];
}

/** Citations in `file` of a section that its docs file has no heading (or bold lead) for. */
export async function missingSections(root: string, file: string): Promise<string[]> {
  const missing: string[] = [];
  for (const { doc, section } of citedSections(await Deno.readTextFile(file))) {
    let found = false;
    try {
      const text = await Deno.readTextFile(`${root}${doc}`);
      // A section is a heading, or a bold run-in heading of a list item (`**Leased at accept.**`).
      const titles = [
        ...headings(text),
        ...[...text.matchAll(/\*\*([^*]+)\*\*/g)].map((m) => m[1]),
      ];
      found = titles.some((title) => (title as string).startsWith(section));
    } catch {
      found = false;
    }
    if (!found) missing.push(`${shortName(root, file)}: ${doc}, "${section}"`);
  }
  return missing;
}

/** The repository's own folders whose files may cite docs sections. */
export const SOURCE_DIRS = ["lib", "bench", "tests"] as const;

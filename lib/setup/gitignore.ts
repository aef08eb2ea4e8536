/**
 * `.gitignore` editing as text. A line counts only when it is exactly the
 * pattern (a trailing CR aside): a check that greps for `^.env$`,
 * and "almost" lines (`.env ` with a space, `# .env`) are what let secrets in.
 * And it counts only if no later line takes it back (`!.env`, `!/.env`, `!*.env`):
 * in a .gitignore the last matching line wins.
 */
export function hasGitignoreLine(text: string, line: string): boolean {
  const lines = text.split("\n").map((existing) => existing.replace(/\r$/, ""));
  const at = lines.lastIndexOf(line);
  return at !== -1 && !lines.slice(at + 1).some((later) => negates(later, line));
}

/** Whether `later` is a negation whose pattern matches the top-level name `line`. */
function negates(later: string, line: string): boolean {
  if (!later.startsWith("!")) return false;
  const pattern = later.slice(1).replace(/^\//, "");
  if (pattern === "" || pattern.endsWith("/") || pattern.includes("/")) return false;
  const name = line.replace(/^\//, "");
  const glob = pattern.replace(/[.+^${}()|\\]/g, "\\$&").replaceAll("*", "[^/]*")
    .replaceAll("?", "[^/]");
  return new RegExp(`^${glob}$`).test(name);
}

export interface GitignoreEdit {
  text: string;
  /** The lines that were missing and are now appended, in order. */
  added: string[];
}

/** Appends each missing line once; existing lines and their order are kept. */
export function addGitignoreLines(text: string, lines: string[]): GitignoreEdit {
  const added: string[] = [];
  for (const line of lines) {
    if (!hasGitignoreLine(text, line) && !added.includes(line)) added.push(line);
  }
  if (added.length === 0) return { text, added };
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const base = text === "" || text.endsWith("\n") ? text : text + eol;
  return { text: base + added.join(eol) + eol, added };
}

/**
 * `.gitignore` editing as text. A line counts only when it is exactly the
 * pattern (a trailing CR aside): a check that greps for `^.env$`,
 * and "almost" lines (`.env ` with a space, `# .env`) are what let secrets in.
 */
export function hasGitignoreLine(text: string, line: string): boolean {
  return text.split("\n").some((existing) => existing.replace(/\r$/, "") === line);
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

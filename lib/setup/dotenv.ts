/**
 * Parses `.env` text: `KEY=value` lines, optional `export `, `#` comments,
 * single quotes (literal), double quotes (with \n, \r, \t, \", \\ escapes),
 * blank lines and CRLF. Lines that are not assignments are ignored.
 */
export function parseDotenv(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const rawLine of text.replace(/^\uFEFF/, "").split(/\r?\n/)) {
    const entry = parseLine(rawLine);
    if (entry) result[entry[0]] = entry[1];
  }
  return result;
}

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/;

function parseLine(line: string): [string, string] | null {
  const match = LINE.exec(line);
  if (!match) return null;
  const key = match[1] as string;
  const rest = (match[2] as string).trimEnd();
  if (rest.startsWith('"')) {
    const end = findClosingQuote(rest);
    return end === -1 ? null : [key, unescapeDouble(rest.slice(1, end))];
  }
  if (rest.startsWith("'")) {
    const end = rest.indexOf("'", 1);
    return end === -1 ? null : [key, rest.slice(1, end)];
  }
  // An unquoted value ends where a comment starts: a "#" first or after a space
  // (so `KEY= # fill in` is empty, not a secret); a "#" inside a word is kept.
  const comment = rest.search(/(?:^|\s)#/);
  return [key, (comment === -1 ? rest : rest.slice(0, comment)).trim()];
}

function findClosingQuote(text: string): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };

function unescapeDouble(text: string): string {
  return text.replace(/\\(.)/g, (whole, ch: string) => ESCAPES[ch] ?? whole);
}

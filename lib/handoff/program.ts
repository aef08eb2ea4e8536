/**
 * The program an `--exec` command line starts, found without running a shell,
 * so `serve` can refuse a command whose program is missing before it accepts
 * anything. Only the plain forms are read (`./agent.sh --flag`, `A=1 python3
 * x.py`, `'/opt/my agent/run'`); anything else (a keyword, an expansion, a
 * subshell) is left to the shell, and its failures show in the trace.
 */

export interface LeadingProgram {
  /** The program as written, unquoted. */
  word: string;
  /** Where its text starts and ends in the command line (quotes included). */
  start: number;
  end: number;
}

/** Shell reserved words and grouping: what follows is not a program to look up. */
const KEYWORDS = new Set([
  "!",
  "{",
  "}",
  "case",
  "do",
  "done",
  "elif",
  "else",
  "esac",
  "fi",
  "for",
  "function",
  "if",
  "in",
  "select",
  "then",
  "until",
  "while",
]);

const PLAIN = /[A-Za-z0-9_./+@%,:=^-]/;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=[A-Za-z0-9_./+@%,:=^-]*$/;

/** Reads one word at `at`: unquoted plain characters, or one quoted string without expansions. */
function wordAt(command: string, at: number): { text: string; end: number } | null {
  const quote = command[at];
  if (quote === "'" || quote === '"') {
    const close = command.indexOf(quote, at + 1);
    if (close < 0) return null;
    const text = command.slice(at + 1, close);
    if (quote === '"' && /[$`\\"]/.test(text)) return null;
    return { text, end: close + 1 };
  }
  let end = at;
  while (end < command.length && PLAIN.test(command[end] as string)) end++;
  if (end === at) return null;
  return { text: command.slice(at, end), end };
}

/** The program of a plain command line, or null when only a shell can tell. */
export function leadingProgram(command: string): LeadingProgram | null {
  let at = 0;
  for (;;) {
    while (at < command.length && /\s/.test(command[at] as string)) at++;
    const word = wordAt(command, at);
    if (word === null) return null;
    const next = command[word.end];
    // The word must end the command or be followed by a separator; `a$b` or `a(b` is not plain.
    if (next !== undefined && !/[\s;&|]/.test(next)) return null;
    if (ASSIGNMENT.test(word.text) && command[at] !== "'" && command[at] !== '"') {
      at = word.end;
      continue;
    }
    if (KEYWORDS.has(word.text) || word.text === "") return null;
    return { word: word.text, start: at, end: word.end };
  }
}

/** Single-quotes `text` for /bin/sh. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./+@%,:=^-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * A relative program path (`./agent.sh`, `bin/agent`) means the directory
 * serve was started in, as for every other path on its command line, although
 * the agent runs in a directory of its own: it is made absolute here.
 */
export function resolveProgram(
  command: string,
  startDir: string,
): { command: string; program: string | null } {
  const found = leadingProgram(command);
  if (found === null) return { command, program: null };
  if (!found.word.includes("/") || found.word.startsWith("/")) {
    return { command, program: found.word };
  }
  const absolute = joinPath(startDir, found.word);
  return {
    command: command.slice(0, found.start) + shellQuote(absolute) + command.slice(found.end),
    program: absolute,
  };
}

function joinPath(dir: string, relative: string): string {
  const parts: string[] = [];
  for (const part of `${dir}/${relative}`.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

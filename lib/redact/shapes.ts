/**
 * The shape pass: credentials recognised by their form, not by a known value. Up to three
 * expressions are scanned side by side, the leftmost match first (a token wins a tie), so
 * the result is that of one combined scan: `TOKEN_SHAPES` (tokens, URL passwords), `KEYED`
 * (a value under a secret-looking key) and `COMMAND_LINE` (`-u user:password`,
 * `--password VALUE`).
 */
import { keyKind } from "./secret_key.ts";
import { redactKeyedValue } from "./keyed_values.ts";
import { REDACTED } from "./marks.ts";
import { COMMAND_LINE, KEYED, TOKEN_SHAPES } from "./patterns.ts";

/** A replaced stretch of the input, for callers that must cut text at a safe place. */
export interface RedactionSpan {
  /** Where the text the match depends on begins (a key before its value): never cut after it. */
  from: number;
  start: number;
  end: number;
  replacement: string;
  /** The value was a quoted string: a cut-off remainder runs to the closing quote. */
  quoted: boolean;
}

export interface ShapePassResult {
  output: string;
  spans: RedactionSpan[];
}

type Replace = (
  from: number,
  start: number,
  end: number,
  replacement: string,
  quoted?: boolean,
) => void;

function execFrom(re: RegExp, s: string, position: number): RegExpExecArray | null {
  re.lastIndex = position;
  return re.exec(s);
}

/** Whether the text may hold a command-line option (`-u`, `--password`). */
function hasOption(s: string): boolean {
  return s.includes(" -") || s.includes("\t-") || s.includes("\n-") || s.startsWith("-");
}

/** Removes every credential shape; returns the text and the stretches it replaced. */
export function shapePass(s: string): ShapePassResult {
  const spans: RedactionSpan[] = [];
  let output = "";
  let copied = 0;
  const replace: Replace = (from, start, end, replacement, quoted = false) => {
    output += s.slice(copied, start) + replacement;
    copied = end;
    spans.push({ from, start, end, replacement, quoted });
  };
  let token = execFrom(TOKEN_SHAPES, s, 0);
  let keyed = execFrom(KEYED, s, 0);
  // JSON records rarely hold an option: they pay nothing for the third expression.
  let option = hasOption(s) ? execFrom(COMMAND_LINE, s, 0) : null;
  while (token !== null || keyed !== null || option !== null) {
    // The leftmost match goes first; at a tie a token wins, then a key.
    const tokenAt = token?.index ?? Infinity;
    const keyedAt = keyed?.index ?? Infinity;
    const optionAt = option?.index ?? Infinity;
    let next: number;
    if (tokenAt <= keyedAt && tokenAt <= optionAt) {
      next = redactToken(s, token as RegExpExecArray, replace);
      token = execFrom(TOKEN_SHAPES, s, next);
    } else if (keyedAt <= optionAt) {
      next = redactKeyed(s, keyed as RegExpExecArray, replace);
      keyed = execFrom(KEYED, s, next);
    } else {
      next = redactToken(s, option as RegExpExecArray, replace);
      option = execFrom(COMMAND_LINE, s, next);
    }
    if (token !== null && token.index < next) token = execFrom(TOKEN_SHAPES, s, next);
    if (keyed !== null && keyed.index < next) keyed = execFrom(KEYED, s, next);
    if (option !== null && option.index < next) option = execFrom(COMMAND_LINE, s, next);
  }
  if (copied === 0) return { output: s, spans };
  return { output: output + s.slice(copied), spans };
}

/** The shape pass's text only. */
export function redactShapes(s: string): string {
  return shapePass(s).output;
}

/** Replaces one `TOKEN_SHAPES` match; returns where scanning goes on. */
function redactToken(s: string, m: RegExpExecArray, replace: Replace): number {
  const start = m.index;
  const end = start + m[0].length;
  const groups = m.groups as Record<string, string | undefined>;
  const { urlPassword, awsId, hookHost, bearerToken, flagPassword, flag } = groups;
  if (urlPassword !== undefined || flagPassword !== undefined) {
    // The password is the match's last part, after the user and its colon.
    const password = (urlPassword ?? flagPassword) as string;
    const passwordEnd = urlPassword !== undefined ? end - 1 : end;
    const passwordStart = passwordEnd - password.length;
    if (!password.startsWith(REDACTED) && !password.startsWith("$")) {
      replace(start, passwordStart, passwordEnd, REDACTED);
    }
  } else if (flag !== undefined) {
    const kind = keyKind(flag);
    if (!kind.secret) return end;
    const value = redactKeyedValue(s, end, {
      kind,
      keyQuoted: false,
      spaced: groups.flagSeparator !== "=",
      others: redactShapes,
    });
    if (value === null) return end;
    replace(start, end, value.end, value.replacement, value.quoted);
    return value.end;
  } else if (awsId !== undefined) {
    const pair = groups.awsSecret === undefined ? "" : (groups.awsGap as string) + REDACTED;
    replace(start, start, end, REDACTED + pair);
  } else if (hookHost !== undefined) {
    replace(start, start + hookHost.length, end, REDACTED);
  } else if (bearerToken !== undefined) {
    replace(start, end - bearerToken.length, end, REDACTED);
  } else {
    replace(start, start, end, REDACTED);
  }
  return end;
}

/** Handles one `KEYED` match: redacts the value if the key is secret; returns where scanning goes on. */
function redactKeyed(s: string, m: RegExpExecArray, replace: Replace): number {
  const groups = m.groups as Record<string, string | undefined>;
  const key = groups.key as string;
  const keyOpen = groups.keyOpen ?? "";
  const afterSeparator = m.index + m[0].length;
  const keyStart = m.index - (groups.keyGap as string).length - (groups.keyClose?.length ?? 0) -
    key.length;
  const from = keyStart - keyOpen.length;
  const before = s[from - 1];
  const kind = keyKind(key);
  if (!(before === "?" || before === "&" ? kind.querySecret : kind.secret)) return afterSeparator;
  const value = redactKeyedValue(s, afterSeparator, {
    kind,
    keyQuoted: keyOpen === '"',
    spaced: groups.separator === ":" && groups.valueGap !== "",
    others: redactShapes,
  });
  if (value === null) return afterSeparator;
  replace(from, afterSeparator, value.end, value.replacement, value.quoted);
  return value.end;
}

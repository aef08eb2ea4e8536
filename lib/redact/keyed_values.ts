/**
 * The value after a secret key's separator: read as a quoted string, an escaped quoted
 * string inside JSON text, or a bare run of value characters, and replaced. Values that
 * are not values are left alone: a sentence (`credential: keep it out`), a shell reference
 * (`TOKEN=$(…)`, `Bearer $TOKEN`) or a placeholder (`<token>`, `...`).
 */
import { isSecretKey, type KeyKind } from "./secret_key.ts";
import { redactCookieList } from "./cookies.ts";
import { REDACTED } from "./marks.ts";
import { AUTH_SCHEME, VALUE_CHARS } from "./patterns.ts";

const AUTH_SCHEME_PREFIX = new RegExp(`^(?:${AUTH_SCHEME}|(?i:bearer|basic|token))[ \\t]+`);
const QUOTED_VALUE = /"(?<double>(?:[^"\\\r\n]|\\.)*)"|'(?<single>[^'\r\n]*)'/y;
const ESCAPED_QUOTED_VALUE = new RegExp(`\\\\"(?<inner>${VALUE_CHARS}*)`, "y");
const BARE_VALUE = new RegExp(`${VALUE_CHARS}+`, "y");
const COOKIE_VALUE = new RegExp(`${VALUE_CHARS}+(?:;[ \\t]*${VALUE_CHARS}+)*`, "y");
const AUTH_VALUE = new RegExp(
  `(?:(?:${AUTH_SCHEME}|(?i:bearer|basic|token))[ \\t]{1,16})?${VALUE_CHARS}+`,
  "y",
);
const JSON_LITERAL = /^(?:null|true|false)$/;
const JSON_NUMBER = /^-?[0-9][0-9.eE+-]*$/;
/** A shell reference or a placeholder stands for a value; it is not one. */
const PLACEHOLDER =
  /^(?:\$[A-Z_][A-Z0-9_]*|\$\{[^}]*\}|\$\(.*\)|\$|\.{3}|…|<[^<>]*>|\*{3}redacted\*{3}.*)$/s;
/** A word followed by more words: the start of a sentence. */
const SENTENCE_START = /[A-Za-z]+[ \t]+[A-Za-z('"`]/y;

export interface KeyedValue {
  end: number;
  replacement: string;
  /** The value was a quoted string: a cut-off remainder runs to the closing quote. */
  quoted: boolean;
}

export interface KeyedValueContext {
  kind: KeyKind;
  /** The key was a quoted JSON key: a number is replaced by a quoted marker. */
  keyQuoted: boolean;
  /** Space after the separator (`key: value`, `--flag value`): a sentence may follow. */
  spaced: boolean;
  /** Redacts a value that is kept (a cookie that is not a session cookie). */
  others: (value: string) => string;
}

/** The scheme word of an Authorization value stays: `Bearer ***redacted***`. */
export function keepScheme(value: string): string {
  const scheme = AUTH_SCHEME_PREFIX.exec(value);
  if (scheme === null) return REDACTED;
  return PLACEHOLDER.test(value.slice(scheme[0].length)) ? value : scheme[0] + REDACTED;
}

function isPlaceholder(value: string): boolean {
  return value === "" || PLACEHOLDER.test(value);
}

/** What replaces a secret value: the scheme word or the other cookies may stay. */
export function replacementFor(
  value: string,
  kind: KeyKind,
  others: KeyedValueContext["others"],
): string {
  if (kind.authorization) return keepScheme(value);
  if (kind.cookie) return redactCookieList(value, others);
  return REDACTED;
}

/** Reads and redacts the value at `at`; null when there is no value to remove there. */
export function redactKeyedValue(
  s: string,
  at: number,
  context: KeyedValueContext,
): KeyedValue | null {
  const { kind, others } = context;
  const first = s.charCodeAt(at);
  if (first === 0x22 || first === 0x27) { // " or '
    QUOTED_VALUE.lastIndex = at;
    const quoted = QUOTED_VALUE.exec(s);
    if (!quoted) return null;
    const inner = quoted.groups?.double ?? quoted.groups?.single ?? "";
    if (isPlaceholder(inner)) return null;
    const replacement = replacementFor(inner, kind, others);
    if (replacement === inner) return null;
    const q = quoted[0][0] as string;
    return { end: QUOTED_VALUE.lastIndex, replacement: q + replacement + q, quoted: true };
  }
  if (first === 0x5c) { // backslash: an escaped quote inside a JSON string
    ESCAPED_QUOTED_VALUE.lastIndex = at;
    const inner = ESCAPED_QUOTED_VALUE.exec(s)?.groups?.inner ?? "";
    if (isPlaceholder(inner)) return null;
    const replacement = replacementFor(inner, kind, others);
    if (replacement === inner) return null;
    return { end: ESCAPED_QUOTED_VALUE.lastIndex, replacement: '\\"' + replacement, quoted: false };
  }
  const bare = kind.authorization ? AUTH_VALUE : kind.cookie ? COOKIE_VALUE : BARE_VALUE;
  bare.lastIndex = at;
  const match = bare.exec(s);
  if (!match || isPlaceholder(match[0]) || JSON_LITERAL.test(match[0])) return null;
  if (namesASecret(match[0]) || (context.spaced && startsSentence(s, at, match[0]))) return null;
  const end = bare.lastIndex;
  // A number under a quoted key is JSON: keep the line valid JSON by quoting the marker.
  if (context.keyQuoted && JSON_NUMBER.test(match[0])) {
    return { end, replacement: `"${REDACTED}"`, quoted: false };
  }
  const replacement = replacementFor(match[0], kind, others);
  return replacement === match[0] ? null : { end, replacement, quoted: false };
}

/** `--password PASSWORD`, `#token=TOKEN`, `secret: WEBHOOK_SECRET`: a secret's name, not its value. */
function namesASecret(value: string): boolean {
  return /^[A-Z][A-Z_]*$/.test(value) && isSecretKey(value);
}

/** `secret: roll one in the dashboard`: an ordinary word (lower-case letters), then more words. */
function startsSentence(s: string, at: number, value: string): boolean {
  if (!/^[A-Z]?[a-z]{1,15}$/.test(value)) return false;
  SENTENCE_START.lastIndex = at;
  return SENTENCE_START.test(s);
}

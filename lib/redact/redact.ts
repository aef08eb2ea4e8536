/**
 * The one redactor every sink uses (stdout, stderr, the trace, errors, `hookgate redact`).
 *
 * It removes (a) the exact values of the secrets the process knows, in the forms they
 * travel in (raw, URL-encoded, JSON-escaped); (b) values under secret-looking keys in
 * structured data; (c) credential shapes in free text. Matches end at a delimiter,
 * never with a greedy `\S+`, and nothing is guessed from entropy: a git SHA, a UUID or
 * a content digest survives.
 *
 * Pure: no I/O, no clock. Every regular expression is compiled once, at module load
 * (a literal) or when a redactor is created (the exact secret values).
 */
import { isSecretKey, type KeyKind, keyKind } from "./secret_key.ts";

export const REDACTED = "***redacted***";

export interface Redactor {
  /** Removes credentials from free text. */
  text(input: string): string;
  /** Returns a copy of a JSON-like value with credentials removed. */
  value(input: unknown): unknown;
  /** A redactor that also removes these exact values. */
  withSecrets(secrets: Iterable<string>): Redactor;
}

export interface RedactorOptions {
  /** Exact values to remove wherever they appear (secrets the process knows). */
  secrets?: Iterable<string>;
}

/** Shorter values are not redacted as exact secrets: "on" or "1" would shred every line. */
export const MIN_SECRET_CHARS = 6;
const TRIVIAL_VALUES = new Set(["true", "false", "null", "undefined", "none", "changeme"]);

// ---------------------------------------------------------------------------------------
// Credential shapes in text
// ---------------------------------------------------------------------------------------

/**
 * Characters a bare value may contain: a match ends at whitespace, a quote, `\`, `,`, `;`,
 * `&` or a bracket.
 */
const VALUE_CHARS = "[^\\s\"'`\\\\,;&()\\[\\]{}<>]";
const AUTH_SCHEME = "(?:Bearer|Basic|Token|Digest|Bot|ApiKey|Key|Negotiate|NTLM|HOBA|MAC)";
const AUTH_SCHEME_PREFIX = new RegExp(`^(?:${AUTH_SCHEME}|(?i:bearer|basic|token))[ \\t]+`);

const PEM_BEGIN = "-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----";
const PEM_END = "-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----";
/**
 * A private-key block runs to its END line, or to the end of the input when it was cut
 * off. It also stops at a double quote: a key cut off inside a JSON string must not
 * swallow the rest of the JSON line.
 */
const PEM_BLOCK = new RegExp(`${PEM_BEGIN}[^"]*?(?:${PEM_END}|(?=")|$)`, "g");
const PEM_BEGIN_RE = new RegExp(PEM_BEGIN, "g");
/** Where an open private-key block stops: its END line or a double quote. */
export const PEM_STOP: RegExp = new RegExp(`${PEM_END}|"`);
/** The longest text `PEM_STOP` can match, to keep across chunk boundaries. */
export const PEM_STOP_MAX_CHARS = 80;

/** Every name `isSecretKey` accepts (and every query-only name) contains one of these. */
const KEY_WORDS = "(?i:pass|secret|token|key|auth|cookie|credential|sig|jwt|session|code)";

const VENDOR_TOKENS = [
  "gh[pousr]_[A-Za-z0-9]{20,255}",
  "github_pat_[A-Za-z0-9_]{20,255}",
  "xox[a-z]-[A-Za-z0-9-]{10,255}",
  "xapp-[A-Za-z0-9-]{10,255}",
  "(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,255}",
  "whsec_[A-Za-z0-9+/=_-]{10,255}",
  "sk-ant-[A-Za-z0-9_-]{16,255}",
  "sk-(?=[A-Za-z0-9_-]{0,255}[0-9])[A-Za-z0-9_-]{8,255}",
  "AIza[A-Za-z0-9_-]{30,64}",
  "npm_[A-Za-z0-9]{30,64}",
  "glpat-[A-Za-z0-9_-]{16,64}",
  "hf_[A-Za-z0-9]{30,64}",
  "SG\\.[A-Za-z0-9_-]{16,64}\\.[A-Za-z0-9_-]{16,64}",
  "pypi-[A-Za-z0-9_-]{50,255}",
  "shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}",
  "dop_v1_[a-f0-9]{64}",
  // hookgate's own inspection-API tokens (lib/api/bearer_token.ts).
  "hgt_[A-Za-z0-9_-]{1,256}\\.[A-Za-z0-9_-]{43}",
].join("|");

/**
 * Credential shapes that stand on their own. Alternatives that begin at the same position
 * are tried in order. Groups:
 *  1,2 userinfo user/password · 3 vendor token · 4,5,6 AWS key id / separator / secret key
 *  7 webhook URL host, 8 its secret path · 9 JWT · 10,11 bearer scheme / token
 */
const TOKEN_SHAPES = new RegExp(
  [
    "//([^\\s/@:\"'`\\\\<>]{0,256}):([^\\s/@\"'`\\\\<>]{1,256})@",
    `(?<![\\w-])(${VENDOR_TOKENS})`,
    "(?<![A-Za-z0-9])((?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})(?![A-Za-z0-9])" +
    "(?:([^A-Za-z0-9/+\\r\\n]{1,10})([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=]))?",
    "(hooks\\.slack\\.com/services/|discord(?:app)?\\.com/api/webhooks/)([A-Za-z0-9/_-]{10,255})",
    "(?<![\\w-])(eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]*)",
    "(?<![\\w-])([Bb]earer|BEARER)[ \\t]{1,16}" +
    "(?=[A-Za-z0-9._~+/-]{0,4096}[0-9])([A-Za-z0-9._~+/-]{8,}=*)",
  ].join("|"),
  "g",
);

/**
 * `key: value` and `key=value` with a secret-looking key. Anchored at the separator (a
 * lookbehind reads the key) and only for keys that contain a word every secret name
 * contains, so the engine skips ordinary `"name":` pairs without calling back. Kept apart
 * from `TOKEN_SHAPES`: one combined expression scans JSON about three times slower.
 * Groups: 1 opening quote, 2 key, 3 closing quote, 4 spaces before the separator.
 */
const KEYED = new RegExp(
  // The opening quote is a backreference to the closing one (a lookbehind matches right to
  // left), so `'NAME':` is a quoted key but `…:NAME': reason` is not.
  `(?<=(?<![\\w.-])(\\3)([A-Za-z_][\\w.-]{0,100})(?<=${KEY_WORDS}[\\w.-]{0,100})` +
    `(\\\\?["'])?([ \\t]{0,16}))[:=][ \\t]{0,16}`,
  "g",
);

const QUOTED_VALUE = /"((?:[^"\\\r\n]|\\.)*)"|'([^'\r\n]*)'/y;
const ESCAPED_QUOTED_VALUE = new RegExp(`\\\\"(${VALUE_CHARS}*)`, "y");
const BARE_VALUE = new RegExp(`${VALUE_CHARS}+`, "y");
const COOKIE_VALUE = new RegExp(`${VALUE_CHARS}+(?:;[ \\t]*${VALUE_CHARS}+)*`, "y");
const AUTH_VALUE = new RegExp(
  `(?:(?:${AUTH_SCHEME}|(?i:bearer|basic|token))[ \\t]{1,16})?${VALUE_CHARS}+`,
  "y",
);
const JSON_LITERAL = /^(?:null|true|false)$/;
const JSON_NUMBER = /^-?[0-9][0-9.eE+-]*$/;

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

interface PassResult {
  output: string;
  spans: RedactionSpan[];
}

function keepScheme(value: string): string {
  const scheme = AUTH_SCHEME_PREFIX.exec(value);
  return scheme ? scheme[0] + REDACTED : REDACTED;
}

/** Redacts the value that follows a secret key's separator; returns where it ended. */
function redactKeyedValue(
  s: string,
  at: number,
  kind: KeyKind,
  keyQuoted: boolean,
): { end: number; replacement: string; quoted: boolean } | null {
  const auth = kind.authorization;
  const first = s.charCodeAt(at);
  if (first === 0x22 || first === 0x27) { // " or '
    QUOTED_VALUE.lastIndex = at;
    const quoted = QUOTED_VALUE.exec(s);
    if (!quoted) return null;
    const inner = quoted[1] ?? quoted[2] ?? "";
    if (inner === "" || inner === REDACTED) return null;
    const q = quoted[0][0] as string;
    return {
      end: QUOTED_VALUE.lastIndex,
      replacement: q + (auth ? keepScheme(inner) : REDACTED) + q,
      quoted: true,
    };
  }
  if (first === 0x5c) { // backslash: an escaped quote inside a JSON string
    ESCAPED_QUOTED_VALUE.lastIndex = at;
    const escaped = ESCAPED_QUOTED_VALUE.exec(s);
    const inner = escaped?.[1] ?? "";
    if (inner === "" || inner === REDACTED) return null;
    return {
      end: ESCAPED_QUOTED_VALUE.lastIndex,
      replacement: '\\"' + (auth ? keepScheme(inner) : REDACTED),
      quoted: false,
    };
  }
  const bare = auth ? AUTH_VALUE : kind.cookie ? COOKIE_VALUE : BARE_VALUE;
  bare.lastIndex = at;
  const match = bare.exec(s);
  if (!match || match[0] === REDACTED || JSON_LITERAL.test(match[0])) return null;
  // A number under a quoted key is JSON: keep the line valid JSON by quoting the marker.
  const replacement = keyQuoted && JSON_NUMBER.test(match[0])
    ? `"${REDACTED}"`
    : auth
    ? keepScheme(match[0])
    : REDACTED;
  return { end: bare.lastIndex, replacement, quoted: false };
}

function execFrom(re: RegExp, s: string, position: number): RegExpExecArray | null {
  re.lastIndex = position;
  return re.exec(s);
}

/**
 * The shape pass: `TOKEN_SHAPES` and `KEYED` scanned side by side, the leftmost match
 * first (a token wins a tie), so the result is that of one combined scan.
 */
function shapePass(s: string): PassResult {
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
  while (token !== null || keyed !== null) {
    let next: number;
    if (token !== null && (keyed === null || token.index <= keyed.index)) {
      next = redactToken(token, replace);
      token = execFrom(TOKEN_SHAPES, s, next);
    } else {
      next = redactKeyed(s, keyed as RegExpExecArray, replace);
      keyed = execFrom(KEYED, s, next);
    }
    if (token !== null && token.index < next) token = execFrom(TOKEN_SHAPES, s, next);
    if (keyed !== null && keyed.index < next) keyed = execFrom(KEYED, s, next);
  }
  if (copied === 0) return { output: s, spans };
  return { output: output + s.slice(copied), spans };
}

type Replace = (
  from: number,
  start: number,
  end: number,
  replacement: string,
  quoted?: boolean,
) => void;

/** Replaces one `TOKEN_SHAPES` match; returns where scanning goes on. */
function redactToken(m: RegExpExecArray, replace: Replace): number {
  const start = m.index;
  const end = start + m[0].length;
  if (m[2] !== undefined) {
    const passwordStart = start + 2 + (m[1] as string).length + 1;
    if (m[2] !== REDACTED) replace(start, passwordStart, passwordStart + m[2].length, REDACTED);
  } else if (m[4] !== undefined) {
    replace(start, start, end, REDACTED + (m[6] === undefined ? "" : (m[5] as string) + REDACTED));
  } else if (m[7] !== undefined) {
    replace(start, start + m[7].length, end, REDACTED);
  } else if (m[10] !== undefined) {
    replace(start, end - (m[11] as string).length, end, REDACTED);
  } else {
    replace(start, start, end, REDACTED);
  }
  return end;
}

/** Handles one `KEYED` match: redacts the value if the key is secret; returns where scanning goes on. */
function redactKeyed(s: string, m: RegExpExecArray, replace: Replace): number {
  const key = m[2] as string;
  const afterSeparator = m.index + m[0].length;
  const keyStart = m.index - (m[4] as string).length - (m[3]?.length ?? 0) - key.length;
  const from = keyStart - (m[1]?.length ?? 0);
  const before = s[from - 1];
  const kind = keyKind(key);
  if (!(before === "?" || before === "&" ? kind.querySecret : kind.secret)) return afterSeparator;
  const value = redactKeyedValue(s, afterSeparator, kind, m[1] === '"');
  if (value === null) return afterSeparator;
  replace(from, afterSeparator, value.end, value.replacement, value.quoted);
  return value.end;
}

// ---------------------------------------------------------------------------------------
// Exact secret values
// ---------------------------------------------------------------------------------------

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

/** The forms a secret travels in: raw, URL-encoded (upper and lower hex), form-encoded, JSON-escaped. */
function secretForms(secret: string): string[] {
  const forms = [secret];
  const encoded = encodeURIComponent(secret);
  forms.push(encoded, encoded.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()));
  forms.push(encoded.replace(/%20/g, "+"), encodeURI(secret));
  forms.push(JSON.stringify(secret).slice(1, -1));
  // A Standard Webhooks secret is used without its prefix as the base64 key.
  if (secret.startsWith("whsec_")) forms.push(secret.slice("whsec_".length));
  // A multi-line secret (a PEM key in .env) is also caught line by line.
  if (secret.includes("\n")) forms.push(...secret.split(/\r?\n/).map((line) => line.trim()));
  return forms;
}

function usableSecret(value: string): boolean {
  return value.length >= MIN_SECRET_CHARS && !TRIVIAL_VALUES.has(value.toLowerCase()) &&
    !/^[0-9]+$/.test(value);
}

function compileSecrets(secrets: string[]): RegExp | null {
  const forms = [...new Set(secrets.flatMap(secretForms))].filter(usableSecret)
    .sort((a, b) => b.length - a.length);
  return forms.length === 0 ? null : new RegExp(forms.map(escapeRegExp).join("|"), "g");
}

// ---------------------------------------------------------------------------------------
// The redactor
// ---------------------------------------------------------------------------------------

interface Internals {
  secrets: string[];
  exact: RegExp | null;
  longestSecretChars: number;
}

const internals = new WeakMap<Redactor, Internals>();

function exactPass(exact: RegExp | null, s: string): string {
  if (exact === null) return s;
  exact.lastIndex = 0;
  return exact.test(s) ? s.replace(exact, REDACTED) : s;
}

function pemPass(s: string): string {
  return s.includes("-----BEGIN") ? s.replace(PEM_BLOCK, REDACTED) : s;
}

/** The value under a secret key: strings and numbers go; null and booleans say nothing. */
function redactSecretValue(key: string, input: unknown): unknown {
  if (input === null || input === undefined || typeof input === "boolean") return input;
  if (typeof input === "string") {
    if (input === "") return input;
    return keyKind(key).authorization ? keepScheme(input) : REDACTED;
  }
  return REDACTED;
}

function pairName(input: unknown[]): string | null {
  return input.length === 2 && typeof input[0] === "string" ? input[0] : null;
}

/** Deeper structures are cut off rather than risk the stack (records are shallow). */
const MAX_DEPTH = 64;

interface WalkState {
  text: (s: string) => string;
  /** The objects on the current path, to cut cycles. */
  path: WeakSet<object>;
  depth: number;
}

function walk(state: WalkState, input: unknown): unknown {
  const { text, path: seen } = state;
  if (typeof input === "string") return text(input);
  if (typeof input === "bigint") return String(input);
  if (input === null || typeof input !== "object") {
    return typeof input === "function" || typeof input === "symbol" ? undefined : input;
  }
  if (seen.has(input)) return "[circular]";
  if (state.depth >= MAX_DEPTH) return "[too deep]";
  seen.add(input);
  state.depth++;
  try {
    if (input instanceof Error) {
      return { name: input.name, message: text(input.message) };
    }
    if (typeof Headers !== "undefined" && input instanceof Headers) {
      return walk(state, [...input.entries()]);
    }
    if (input instanceof Map) return walk(state, [...input.entries()]);
    if (input instanceof Set) return walk(state, [...input]);
    // Raw bytes are not text to search: say how many, never what.
    if (ArrayBuffer.isView(input)) return `[${input.byteLength} bytes]`;
    const json = (input as { toJSON?: unknown }).toJSON;
    if (typeof json === "function") return walk(state, json.call(input));
    if (Array.isArray(input)) {
      const name = pairName(input);
      if (name !== null && isSecretKey(name)) {
        return [text(name), redactSecretValue(name, input[1])];
      }
      return input.map((item) => walk(state, item));
    }
    const record = input as Record<string, unknown>;
    // `{name: "Authorization", value: "…"}` (HAR) and `{key: …, value: …}` header entries.
    const entryName = typeof record.name === "string"
      ? record.name
      : typeof record.key === "string"
      ? record.key
      : null;
    const entryIsSecret = entryName !== null && "value" in record && isSecretKey(entryName);
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(record)) {
      const safeKey = text(key);
      if (isSecretKey(key)) out[safeKey] = redactSecretValue(key, value);
      else if (entryIsSecret && key === "value") {
        out[safeKey] = redactSecretValue(entryName as string, value);
      } else out[safeKey] = walk(state, value);
    }
    return out;
  } finally {
    seen.delete(input);
    state.depth--;
  }
}

/** Strings up to this length are remembered with their redacted form (per redactor). */
const MEMO_MAX_CHARS = 64;
/** At most this many remembered strings (about 0.5 MB); the memo starts over when full. */
const MEMO_MAX_ENTRIES = 4096;

export function createRedactor(options: RedactorOptions = {}): Redactor {
  const secrets = [...new Set(options.secrets ?? [])];
  const exact = compileSecrets(secrets);
  const pass = (input: string): string => shapePass(pemPass(exactPass(exact, input))).output;
  // Redaction is a pure function of the text, and trace records repeat the same short
  // strings (keys, methods, paths, outcomes) on every line: those are answered from memory.
  const memo = new Map<string, string>();
  const text = (input: string): string => {
    if (input.length > MEMO_MAX_CHARS) return pass(input);
    let output = memo.get(input);
    if (output === undefined) {
      output = pass(input);
      if (memo.size >= MEMO_MAX_ENTRIES) memo.clear();
      memo.set(input, output);
    }
    return output;
  };
  const redactor: Redactor = {
    text,
    value: (input) => walk({ text, path: new WeakSet(), depth: 0 }, input),
    withSecrets: (more) => createRedactor({ secrets: [...secrets, ...more] }),
  };
  const longestSecretChars = secrets.reduce(
    (max, secret) => Math.max(max, ...secretForms(secret).map((form) => form.length)),
    0,
  );
  internals.set(redactor, { secrets, exact, longestSecretChars });
  return redactor;
}

/**
 * The trace's serializer: redact the value tree, serialize, then redact the text once
 * more. If that second pass changed the text (a secret that appears only in serialized
 * form, such as a numeric value), the result is re-checked so a line is always valid
 * JSON; a broken one is carried as a redacted string instead.
 */
export function stringifyRedacted(redactor: Redactor, input: unknown): string {
  return checkedLine(redactor, input, JSON.stringify(redactor.value(input)) ?? "null");
}

/**
 * `stringifyRedacted` for many records at once (the trace's batches), one per line. The
 * text pass runs once over all the lines joined by newlines (JSON text has none of its
 * own) instead of once per line; only when it changed something is each line redacted
 * and checked alone, so the result is the same as line by line.
 */
export function stringifyRedactedLines(redactor: Redactor, inputs: unknown[]): string[] {
  const lines = inputs.map((input) => JSON.stringify(redactor.value(input)) ?? "null");
  const joined = lines.join("\n");
  if (redactor.text(joined) === joined) return lines;
  return lines.map((line, i) => checkedLine(redactor, inputs[i], line));
}

/** The text pass over one serialized record, falling back to a valid line if it broke the JSON. */
function checkedLine(redactor: Redactor, input: unknown, serialized: string): string {
  const redacted = redactor.text(serialized);
  if (redacted === serialized) return redacted;
  try {
    JSON.parse(redacted);
    return redacted;
  } catch {
    // Keep a record's own `time` and `type`, so a trace line still says when and what.
    const { time, type } = (input ?? {}) as { time?: unknown; type?: unknown };
    const keep = Object.fromEntries(
      Object.entries({ time, type }).filter(([, value]) => typeof value === "string"),
    );
    return JSON.stringify(redactor.value({ ...keep, unparsable_after_redaction: redacted }));
  }
}

// ---------------------------------------------------------------------------------------
// Streaming support (used by lib/redact/redact_stream.ts)
// ---------------------------------------------------------------------------------------

/** The exact-value and private-key passes only (what may span or be cut by a chunk). */
export function redactSecretsAndKeys(redactor: Redactor, input: string): string {
  return pemPass(exactPass(internals.get(redactor)?.exact ?? null, input));
}

/** The shape pass with the stretches it replaced, so a stream can cut between them. */
export function redactShapes(input: string): PassResult {
  return shapePass(input);
}

/** The longest exact secret form a redactor removes (a stream keeps that much unflushed). */
export function longestSecretChars(redactor: Redactor): number {
  return internals.get(redactor)?.longestSecretChars ?? 0;
}

/** Index of a private-key block that is still open at the end of `input`, or -1. */
export function openPrivateKeyStart(input: string): number {
  if (!input.includes("-----BEGIN")) return -1;
  let last = -1;
  let lastEnd = 0;
  PEM_BEGIN_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = PEM_BEGIN_RE.exec(input)) !== null) {
    last = m.index;
    lastEnd = PEM_BEGIN_RE.lastIndex;
  }
  if (last < 0) return -1;
  return PEM_STOP.test(input.slice(lastEnd)) ? -1 : last;
}

// ---------------------------------------------------------------------------------------
// Secrets from the environment
// ---------------------------------------------------------------------------------------

const EXPIRY_SUFFIX = /@[0-9][0-9:TZ.+-]*$/;
const URL_PASSWORD = /\/\/[^\s/@:]*:([^\s/@]+)@/;

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The values of environment variables whose names say they hold a secret, and passwords in
 * URL-valued variables. A `_PREVIOUS`
 * list (rotated secrets with their expiries) also contributes each of its entries.
 */
export function secretValuesFromEnv(env: Record<string, string>): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    // A password inside a URL (`HOOKGATE_STORE=redis://:pw@host`) is a secret whatever the name.
    const password = URL_PASSWORD.exec(value)?.[1];
    if (password !== undefined) {
      for (const form of [password, safeDecode(password)]) {
        if (usableSecret(form)) values.push(form);
      }
    }
    if (!isSecretKey(name) || !usableSecret(value)) continue;
    values.push(value);
    if (/[\s,;]/.test(value.trim()) && !value.includes("\n")) {
      // `<VAR>_PREVIOUS` is `SECRET@2026-12-01T19:00:00Z,…`: each secret, never its expiry.
      for (const entry of value.split(/[\s,;]+/)) {
        const secret = entry.replace(EXPIRY_SUFFIX, "");
        if (usableSecret(secret)) values.push(secret);
      }
    } else if (EXPIRY_SUFFIX.test(value)) {
      const secret = value.replace(EXPIRY_SUFFIX, "");
      if (usableSecret(secret)) values.push(secret);
    }
  }
  return values;
}

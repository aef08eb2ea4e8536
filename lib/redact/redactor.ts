/**
 * The one redactor every sink uses (stdout, stderr, the trace, errors, `hookgate redact`).
 *
 * It removes (a) the exact values of the secrets the process knows, in the forms they
 * travel in (lib/redact/known_secrets.ts); (b) values under secret-looking keys in
 * structured data; (c) credential shapes in free text. Matches end at a delimiter, never
 * with a greedy `\S+`, and nothing is guessed from entropy: a git SHA, a UUID or a content
 * digest survives. It redacts values, not prose: `secret: roll one in the dashboard` and
 * `TOKEN=$(hookgate token)` pass through.
 *
 * Pure: no I/O, no clock. Every regular expression is compiled once, at module load
 * (a literal) or when a redactor is created (the exact secret values).
 */
import { KnownSecrets } from "./known_secrets.ts";
import { REDACTED } from "./marks.ts";
import { redactPrivateKeys } from "./private_keys.ts";
import { redactShapes } from "./shapes.ts";
import { redactTree } from "./tree.ts";

export interface Redactor {
  /** Removes credentials from free text. */
  text(input: string): string;
  /**
   * `text()` for text that was cut short at its end: a trailing piece of a known secret,
   * or of a URL password, goes too.
   */
  cutText(input: string): string;
  /** Returns a copy of a JSON-like value with credentials removed. */
  value(input: unknown): unknown;
  /** A redactor that also removes these exact values. */
  withSecrets(secrets: Iterable<string>): Redactor;
  /** The exact values this redactor removes. */
  readonly known: KnownSecrets;
}

export interface RedactorOptions {
  /** Exact values to remove wherever they appear (secrets the process knows). */
  secrets?: Iterable<string>;
}

/** Strings up to this length are remembered with their redacted form (per redactor). */
const MEMO_MAX_CHARS = 64;
/** At most this many remembered strings (about 0.5 MB); the memo starts over when full. */
const MEMO_MAX_ENTRIES = 4096;
/**
 * A URL whose userinfo password was cut off before its `@`; digits alone are a port. The
 * password is one run to the end, so a long run the end does not close is given up in one
 * pass (a digit-free character required inside the expression would retry every split of
 * it: minutes for the 1 MiB a fetched page may be cut at).
 */
const CUT_URL_PASSWORD = /\/\/[^\s/@:"'`\\<>]{0,256}:(?<password>[^\s/@"'`\\<>]*)$/;
const PORT_DIGITS = /^[0-9]*$/;

/** The exact-value and private-key passes (what may span, or be cut by, a chunk). */
export function redactSecretsAndKeys(known: KnownSecrets, input: string): string {
  return redactPrivateKeys(known.redact(input));
}

export function createRedactor(options: RedactorOptions = {}): Redactor {
  const known = new KnownSecrets(options.secrets ?? []);
  const pass = (input: string): string => redactShapes(redactSecretsAndKeys(known, input));
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
  const cutText = (input: string): string => {
    const output = known.redactCutEnd(text(input));
    const password = CUT_URL_PASSWORD.exec(output)?.groups?.password;
    if (password === undefined || PORT_DIGITS.test(password) || password.endsWith(REDACTED)) {
      return output;
    }
    return output.slice(0, output.length - password.length) + REDACTED;
  };
  return {
    text,
    cutText,
    value: (input) => redactTree(text, input),
    withSecrets: (more) => createRedactor({ secrets: [...known.secrets, ...more] }),
    known,
  };
}

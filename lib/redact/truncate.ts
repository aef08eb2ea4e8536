/**
 * Shortening text that may hold a secret: redact first, then cut, so the cut can never
 * leave a readable piece of a credential behind. Every place that caps text it prints or
 * records (a fetched body, an exec child's output, a receiver's answer, a quoted URL) goes
 * through here.
 */
import { CUT_MARK, dropCutWord, pairSafeEnd, REDACTED } from "./marks.ts";
import { createRedactor, type Redactor } from "./redactor.ts";

export interface RedactThenTruncateOptions {
  /** The longest text returned, in characters (the mark not counted); no limit when absent. */
  maxChars?: number;
  /** The input itself was already cut short (a byte cap): a secret may be split at its end. */
  inputWasCut?: boolean;
  /** Appended when the text was shortened, here or before. */
  mark?: string;
}

export interface TruncatedText {
  text: string;
  /** Whether the text is shorter than what it came from. */
  truncated: boolean;
}

/** Redacts `input` whole, then cuts it to `maxChars` outside any marker. */
export function redactThenTruncate(
  redactor: Redactor,
  input: string,
  options: RedactThenTruncateOptions = {},
): TruncatedText {
  let truncated = options.inputWasCut === true;
  let text = truncated ? redactor.cutText(input) : redactor.text(input);
  const maxChars = options.maxChars ?? Infinity;
  if (text.length > maxChars) {
    text = text.slice(0, cutPosition(text, maxChars));
    truncated = true;
  }
  if (truncated && options.mark !== undefined) text += options.mark;
  return { text, truncated };
}

/**
 * `redactThenTruncate` for bytes read up to a cap: a character split by the cap is
 * dropped, not mangled, so a secret's piece at the end is still recognised.
 */
export function redactBytesThenTruncate(
  redactor: Redactor,
  bytes: Uint8Array,
  options: RedactThenTruncateOptions = {},
): TruncatedText {
  const text = new TextDecoder().decode(bytes, { stream: options.inputWasCut === true });
  return redactThenTruncate(redactor, text, options);
}

/** Removes credential shapes only: for code that does not know the secrets. */
const SHAPES_ONLY = createRedactor();

/**
 * `redactThenTruncate` for code that does not know the secrets (a quoted URL, a server's
 * error answer, the last lines of an agent's stderr): credential shapes go before the cut,
 * which drops the word it left unfinished, whatever it holds (a piece of a secret this code
 * cannot recognise), and ends with `CUT_MARK`.
 */
export function truncateForPrinting(text: string, maxChars: number): string {
  const cut = redactThenTruncate(SHAPES_ONLY, text, { maxChars });
  return cut.truncated ? dropCutWord(cut.text) + CUT_MARK : cut.text;
}

/** At most `maxChars`, moved back before a marker or a surrogate pair it would split. */
function cutPosition(text: string, maxChars: number): number {
  let cut = maxChars;
  const marker = text.indexOf(REDACTED, Math.max(0, cut - REDACTED.length + 1));
  if (marker !== -1 && marker < cut) cut = marker;
  return pairSafeEnd(text, cut);
}

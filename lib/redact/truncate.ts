/**
 * Shortening text that may hold a secret: redact first, then cut, so the cut can never
 * leave a readable piece of a credential behind. Every place that caps text it prints or
 * records (a fetched body, an exec child's output, a receiver's answer, a quoted URL) goes
 * through here.
 */
import { CUT_MARK, dropCutWord, pairSafeEnd, REDACTED } from "./marks.ts";
import { endOfCutPrivateKey } from "./private_keys.ts";
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

/** A line that may go on with an encoded form or a private key's body from before a cut. */
const ENCODED_LINE = /^[A-Za-z0-9+/=_-]+\r?$/;

/**
 * The end of a stream whose start was dropped (the last bytes of an agent's output), redacted.
 * A secret that began before the cut may go on after it, where no pass recognises what is left
 * of it, so the text starts only at the first line past every form it could reach (the
 * longest known form, wrapped over lines or not, and always the unfinished first line, which
 * may hold the rest of a credential shape), past a private key's END line whose BEGIN was
 * dropped, and past lines that may still be an encoded form's or a key's body. The rest is
 * redacted whole; nothing is left when no line is safe.
 */
export function redactBytesCutAtStart(redactor: Redactor, bytes: Uint8Array): string {
  const text = new TextDecoder().decode(bytes);
  const reach = Math.max(redactor.known.longestChars, redactor.known.wrappedChars);
  const lineStart = text.indexOf("\n", Math.max(0, reach - 1)) + 1;
  if (lineStart === 0) return "";
  let rest = text.slice(lineStart);
  const afterKey = endOfCutPrivateKey(rest);
  if (afterKey > 0) rest = rest.slice(rest.indexOf("\n", afterKey) + 1 || rest.length);
  for (;;) {
    const end = rest.indexOf("\n");
    if (end === -1 || !ENCODED_LINE.test(rest.slice(0, end))) break;
    rest = rest.slice(end + 1);
  }
  // A last line that looks encoded may be such a body too, with nothing after it to tell.
  if (ENCODED_LINE.test(rest)) return "";
  return redactor.text(rest);
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

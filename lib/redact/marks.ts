/** What every removed credential is replaced by, in every sink. */
export const REDACTED = "***redacted***";

/**
 * What hookgate appends where it shortened text it could not redact with every known
 * secret (an unusable URL quoted in an egress verdict, an agent's stderr line). The cut drops
 * the unfinished word before it (dropCutWord), whatever the word holds. Nothing looks at the
 * text before a mark: anyone can type one, and removing a piece only when it starts a secret
 * would answer a guess.
 */
export const CUT_MARK = "…";

/**
 * What ends a word at a cut: whitespace, quotes and brackets. Not `/`, `=`, `+`, `:` or `%`,
 * which occur inside base64, URL-encoded and raw secrets: a word ends only where no encoded
 * secret could go on.
 */
const SEPARATOR = /[\s"'`<>()[\]{},;|]/;

/** `end`, moved back by one when text ending there would split a surrogate pair. */
export function pairSafeEnd(text: string, end: number): number {
  const last = text.charCodeAt(end - 1);
  return last >= 0xd800 && last <= 0xdbff ? end - 1 : end;
}

/**
 * `text` without the word a cut left unfinished at its end. That word may be the start of a
 * secret the cutting code does not know; it goes whatever it holds.
 */
export function dropCutWord(text: string): string {
  let end = text.length;
  while (end > 0 && !SEPARATOR.test(text[end - 1] as string)) end--;
  return text.slice(0, end);
}

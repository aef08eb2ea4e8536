/** What every removed credential is replaced by, in every sink. */
export const REDACTED = "***redacted***";

/**
 * What hookgate appends where it shortened text it could not redact with every known
 * secret (an unusable URL quoted in an egress verdict). The cut drops the unfinished word
 * before it (dropCutWord), whatever the word holds; a redactor that knows the secrets
 * removes a piece of one that ends at a separator just before this mark.
 */
export const CUT_MARK = "…";

/**
 * What ends a word at a cut: whitespace, quotes, brackets and the punctuation that joins
 * the parts of a URL, a header or a `key=value` pair.
 */
const SEPARATOR = /[\s"'`<>()[\]{},;/?&#=:@|]/;

/** Whether `char` ends a word (the start of a text counts as one). */
export function isSeparator(char: string | undefined): boolean {
  return char === undefined || SEPARATOR.test(char);
}

/**
 * `text` without the word a cut left unfinished at its end, or without its last `maxChars`
 * characters when the word is longer (no piece of a secret is longer than its longest
 * form). That word may be the start of a secret; dropping it whatever it holds tells nobody
 * anything, where removing it only when it matches a secret would answer a guess.
 */
export function dropCutWord(text: string, maxChars = Infinity): string {
  let end = text.length;
  const stop = Math.max(0, text.length - maxChars);
  while (end > stop && !isSeparator(text[end - 1])) end--;
  // A surrogate pair is not split by the drop.
  const last = text.charCodeAt(end - 1);
  if (end > 0 && end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end);
}

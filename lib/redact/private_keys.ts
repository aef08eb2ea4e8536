/**
 * PEM private-key blocks: removed from their BEGIN line to their END line, or to the end
 * of the input when the block was cut off.
 */
import { REDACTED } from "./marks.ts";

const PEM_BEGIN = "-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----";
const PEM_END = "-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----";
/**
 * A block runs to its END line, or to the end of the input. It also stops at a double
 * quote: a key cut off inside a JSON string must not swallow the rest of the JSON line.
 */
const PEM_BLOCK = new RegExp(`${PEM_BEGIN}[^"]*?(?:${PEM_END}|(?=")|$)`, "g");
const PEM_BEGIN_RE = new RegExp(PEM_BEGIN, "g");
const PEM_END_RE = new RegExp(PEM_END);
/** Where an open private-key block stops: its END line or a double quote. */
export const PEM_STOP: RegExp = new RegExp(`${PEM_END}|"`);
/** The longest text `PEM_STOP` can match, to keep across chunk boundaries. */
export const PEM_STOP_MAX_CHARS = 80;

/** Replaces every private-key block (closed or cut off) with the marker. */
export function redactPrivateKeys(s: string): string {
  return s.includes("-----BEGIN") ? s.replace(PEM_BLOCK, REDACTED) : s;
}

/**
 * For text whose start was cut off: where a private-key block it begins inside (its BEGIN
 * line dropped with the start) ends, just past its END line; 0 when it begins inside none.
 */
export function endOfCutPrivateKey(input: string): number {
  const end = PEM_END_RE.exec(input);
  if (end === null) return 0;
  PEM_BEGIN_RE.lastIndex = 0;
  return PEM_BEGIN_RE.test(input.slice(0, end.index)) ? 0 : end.index + end[0].length;
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

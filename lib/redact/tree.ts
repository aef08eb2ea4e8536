/**
 * Redaction of a JSON-like value: every string goes through the text redactor, and the
 * value under a secret-looking key (a property, a `[name, value]` pair, a `{name, value}`
 * entry) is replaced whatever it looks like.
 */
import { isSecretKey, keyKind } from "./secret_key.ts";
import { replacementFor } from "./keyed_values.ts";
import { REDACTED } from "./marks.ts";
import { MIN_SECRET_CHARS } from "./known_secrets.ts";

/** Deeper structures are cut off rather than risk the stack (records are shallow). */
const MAX_DEPTH = 64;

interface WalkState {
  text: (s: string) => string;
  /**
   * The objects on the current path, to cut cycles: at most MAX_DEPTH of them, so a scan
   * of this short stack costs less than a WeakSet made for every record.
   */
  path: object[];
}

/** Returns a copy of `input` with credentials removed; `text` redacts free text. */
export function redactTree(text: (s: string) => string, input: unknown): unknown {
  return walk({ text, path: [] }, input);
}

/** The value under a secret key: strings and numbers go; null and booleans say nothing. */
function redactSecretValue(key: string, input: unknown, text: (s: string) => string): unknown {
  if (input === null || input === undefined || typeof input === "boolean") return input;
  if (typeof input === "string") {
    return input === "" ? input : replacementFor(input, keyKind(key), text);
  }
  return REDACTED;
}

function redactNumber(text: (s: string) => string, input: number): number | string {
  const digits = String(input);
  if (digits.length < MIN_SECRET_CHARS) return input;
  const redacted = text(digits);
  return redacted === digits ? input : redacted;
}

function pairName(input: unknown[]): string | null {
  return input.length === 2 && typeof input[0] === "string" ? input[0] : null;
}

function walk(state: WalkState, input: unknown): unknown {
  const { text, path: seen } = state;
  if (typeof input === "string") return text(input);
  // A number is printed as its digits, and a secret of digits is a secret like any other: a
  // number whose digits hold one becomes the text it redacts to.
  if (typeof input === "number") return redactNumber(text, input);
  if (typeof input === "bigint") return text(String(input));
  if (input === null || typeof input !== "object") {
    return typeof input === "function" || typeof input === "symbol" ? undefined : input;
  }
  if (seen.includes(input)) return "[circular]";
  if (seen.length >= MAX_DEPTH) return "[too deep]";
  seen.push(input);
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
        return [text(name), redactSecretValue(name, input[1], text)];
      }
      return input.map((item) => walk(state, item));
    }
    return walkRecord(state, input as Record<string, unknown>);
  } finally {
    seen.pop();
  }
}

function walkRecord(state: WalkState, record: Record<string, unknown>): Record<string, unknown> {
  const { text } = state;
  // `{name: "Authorization", value: "…"}` (HAR) and `{key: …, value: …}` header entries.
  const entryName = typeof record.name === "string"
    ? record.name
    : typeof record.key === "string"
    ? record.key
    : null;
  const entryIsSecret = entryName !== null && "value" in record && isSecretKey(entryName);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    const value = record[key];
    const safeKey = text(key);
    if (isSecretKey(key)) out[safeKey] = redactSecretValue(key, value, text);
    else if (entryIsSecret && key === "value") {
      out[safeKey] = redactSecretValue(entryName as string, value, text);
    } else out[safeKey] = walk(state, value);
  }
  return out;
}

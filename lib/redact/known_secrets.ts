/**
 * The exact values of the secrets a process knows, in every form they travel in: raw,
 * URL-encoded, form-encoded, JSON-escaped, base64 (standard and URL-safe, whole or inside
 * longer base64 text) and hex (either case). Also removes a piece of one where text was
 * cut short, so that shortening text never leaves a readable part of a secret.
 */
import { fromBase64, toBase64, toHex, utf8 } from "../util/mod.ts";
import { pairSafeEnd, REDACTED } from "./marks.ts";

/** Shorter values are not redacted as exact secrets: "on" or "1" would shred every line. */
export const MIN_SECRET_CHARS = 6;
const TRIVIAL_VALUES = new Set(["true", "false", "null", "undefined", "none", "changeme"]);
/**
 * Whether a value is long enough to be removed wherever it appears. Digits count like any
 * other character: a numeric secret is removed too, by every command.
 */
export function usableSecret(value: string): boolean {
  return value.length >= MIN_SECRET_CHARS && !TRIVIAL_VALUES.has(value.toLowerCase());
}

function base64Url(base64: string): string {
  return base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * A secret's base64 forms. Inside longer base64 text (a Basic credential `user:secret`)
 * the secret's bytes start at any of three offsets of a 3-byte group; for each, the
 * characters that depend on the secret's bytes alone are a form of their own.
 */
function base64Forms(bytes: Uint8Array): string[] {
  const whole = toBase64(bytes);
  const forms = [whole, whole.replace(/=+$/, "")];
  for (const skip of [0, 1, 2]) {
    const part = bytes.subarray(skip);
    forms.push(toBase64(part.subarray(0, part.length - (part.length % 3))));
  }
  return forms.flatMap((form) => [form, base64Url(form)]);
}

/** Every form a secret travels in. */
export function secretForms(secret: string): string[] {
  const forms = [secret];
  // Percent-encoders differ on `!'()*~` and the space: encodeURIComponent leaves `!'()*~`,
  // RFC 3986 (Python's quote) only `~`, a form (URLSearchParams) only `*`; a space is `%20`
  // or `+`. Each is removed with upper- or lower-case hex.
  const encoded = encodeURIComponent(secret);
  const strict = encoded.replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  const form = new URLSearchParams([["", secret]]).toString().slice(1);
  const spellings = [
    encoded,
    strict,
    strict.replace(/%20/g, "+"),
    form,
    form.replace(/\+/g, "%20"),
  ];
  for (const text of spellings) {
    forms.push(text, text.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()));
  }
  forms.push(encoded.replace(/%20/g, "+"), encodeURI(secret));
  forms.push(JSON.stringify(secret).slice(1, -1));
  const bytes = utf8(secret);
  forms.push(...base64Forms(bytes));
  const hex = toHex(bytes);
  forms.push(hex, hex.toUpperCase());
  // A Standard Webhooks secret is used without its prefix as the base64 key, and its key
  // bytes may be shown as hex or base64url by whoever debugs a signature.
  if (secret.startsWith("whsec_")) forms.push(...standardKeyForms(secret.slice("whsec_".length)));
  // A multi-line secret (a PEM key in .env) is also caught line by line.
  if (secret.includes("\n")) forms.push(...secret.split(/\r?\n/).map((line) => line.trim()));
  return forms;
}

/** The forms of a Standard Webhooks key: its base64 and, when that decodes, its bytes. */
function standardKeyForms(base64: string): string[] {
  const key = fromBase64(base64);
  if (key === null) return [base64];
  const hex = toHex(key);
  return [base64, base64Url(base64), hex, hex.toUpperCase()];
}

/** A line of base64, base64url or hex text (and a form that could be one). */
const ENCODED_LINE = /^[A-Za-z0-9+/=_-]+$/;

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

/** The known secrets of one redactor, compiled once. */
export class KnownSecrets {
  readonly secrets: readonly string[];
  /** The longest form removed (a stream keeps that much unflushed). */
  readonly longestChars: number;
  /** Usable forms, longest first. */
  readonly #forms: readonly string[];
  readonly #exact: RegExp | null;
  /**
   * The forms written in the base64 and hex alphabets, with a line break allowed between
   * any two characters: `base64` wraps at 76 columns, `xxd -p` at 60, PEM at 64, so a
   * secret in an encoded file falls across lines wherever they happen to end.
   */
  readonly #wrapped: RegExp | null;
  /** How far back a wrapped form may start from the end of a text (a stream holds that much). */
  readonly wrappedChars: number;

  constructor(secrets: Iterable<string>) {
    this.secrets = [...new Set(secrets)];
    this.#forms = [...new Set(this.secrets.flatMap(secretForms))].filter(usableSecret)
      .sort((a, b) => b.length - a.length);
    this.#exact = this.#forms.length === 0
      ? null
      : new RegExp(this.#forms.map(escapeRegExp).join("|"), "g");
    this.longestChars = this.#forms[0]?.length ?? 0;
    const encoded = this.#forms.filter((form) => ENCODED_LINE.test(form));
    this.#wrapped = encoded.length === 0 ? null : new RegExp(
      encoded.map((form) => [...form].map(escapeRegExp).join("(?:\\r?\\n)?")).join("|"),
      "g",
    );
    // A CRLF after every character at worst: three characters per character of the form.
    this.wrappedChars = 3 * (encoded[0]?.length ?? 0);
  }

  /**
   * Where a stream must hold `text` (complete lines) back from: when its last line is
   * encoded text, the next line may carry the rest of a wrapped form that starts up to
   * `wrappedChars` earlier, so the lines from there on wait for more input. Returns
   * `text.length` when nothing needs to wait.
   */
  wrappedTailStart(text: string): number {
    if (this.#wrapped === null) return text.length;
    const lastLine = text.replace(/\r?\n$/, "");
    const lineStart = lastLine.lastIndexOf("\n") + 1;
    if (!ENCODED_LINE.test(lastLine.slice(lineStart))) return text.length;
    const from = lastLine.length - this.wrappedChars;
    return from <= 0 ? 0 : text.lastIndexOf("\n", from) + 1;
  }

  /** Replaces every form of every secret. */
  redact(s: string): string {
    const exact = this.#exact;
    if (exact === null) return s;
    exact.lastIndex = 0;
    let out = exact.test(s) ? s.replace(exact, REDACTED) : s;
    const wrapped = this.#wrapped;
    // A form can only be wrapped by a line break inside the text: a single line with its
    // newline (every printed or logged line) skips this.
    const firstBreak = out.indexOf("\n");
    if (wrapped !== null && firstBreak !== -1 && firstBreak < out.length - 1) {
      // The literal alternation is fast and the wrapped one is not: it runs only when the
      // text with its line breaks taken out holds a form.
      exact.lastIndex = 0;
      if (exact.test(out.replace(/\r?\n/g, ""))) out = out.replace(wrapped, REDACTED);
    }
    return out;
  }

  /**
   * For text that was cut short: its last `longestChars - 1` characters go, whatever they
   * are. A piece of a secret left at a cut is shorter than the secret's longest form, so none
   * survives; and since what goes never depends on the secrets, where a cut falls (often
   * chosen by whoever sent the text) can never be used to test a guess at one.
   */
  redactCutEnd(s: string): string {
    const drop = Math.max(0, this.longestChars - 1);
    return drop === 0 ? s : s.slice(0, pairSafeEnd(s, Math.max(0, s.length - drop)));
  }
}

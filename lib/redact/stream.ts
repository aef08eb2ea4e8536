/**
 * Streaming redaction for `hookgate redact`: text in, redacted text out, in constant
 * memory. Complete lines are redacted in blocks with the same redactor as every other
 * sink, so the output equals `redactor.text(wholeInput)`. Two things need state across
 * chunks: a private-key block that spans lines (everything up to its END line is
 * dropped), and a line longer than `maxLineChars`, which is cut where no credential is.
 */
import { openPrivateKeyStart, PEM_STOP, PEM_STOP_MAX_CHARS } from "./private_keys.ts";
import type { KnownSecrets } from "./known_secrets.ts";
import { type Redactor, redactSecretsAndKeys } from "./redactor.ts";
import { type RedactionSpan, shapePass } from "./shapes.ts";

export interface LineRedactorOptions {
  /** A line without a newline is flushed in pieces past this size (1 Mi chars by default). */
  maxLineChars?: number;
}

export interface LineRedactor {
  /** Adds text; returns the redacted text that is safe to emit now. */
  push(chunk: string): string;
  /** Ends the input; returns the rest. */
  end(): string;
  /** Characters held back (a partial line); bounded by `maxLineChars` plus one chunk. */
  readonly bufferedChars: number;
}

export const DEFAULT_MAX_LINE_CHARS = 1 << 20;
/** Kept back from a long line's cut, so a credential at the edge is seen whole. */
const MIN_TAIL_CHARS = 4096;
/** How far back from the cut a whitespace boundary is looked for. */
const BOUNDARY_SEARCH_CHARS = 1024;
const LEADING_VALUE = /^[^\s"'`\\,;&()[\]{}<>]*/;
const LEADING_QUOTED = /^(?:[^"\\\r\n]|\\.)*/;

type Swallow = "value" | "quoted" | null;

function spanAt(spans: RedactionSpan[], position: number): RedactionSpan | undefined {
  let low = 0;
  let high = spans.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const span = spans[mid] as RedactionSpan;
    if (span.end <= position) low = mid + 1;
    else if (span.from >= position) high = mid - 1;
    else return span;
  }
  return undefined;
}

function emitPrefix(s: string, spans: RedactionSpan[], cut: number): string {
  let out = "";
  let copied = 0;
  for (const span of spans) {
    if (span.start >= cut) break;
    out += s.slice(copied, span.start) + span.replacement;
    copied = span.end;
  }
  return out + s.slice(copied, cut);
}

/**
 * Splits complete lines into what can be emitted now and what waits: when they end with a
 * line of encoded text, the next line may finish a known secret's base64 or hex form that
 * began on one of the last lines. The waiting lines already had every whole form removed,
 * so nothing emitted now can be the start of one.
 */
function holdWrappedTail(known: KnownSecrets, block: string, rest: string): [string, string] {
  if (known.wrappedTailStart(block) === block.length) return [block, rest];
  const redacted = known.redact(block);
  const hold = known.wrappedTailStart(redacted);
  return [redacted.slice(0, hold), redacted.slice(hold) + rest];
}

export function createLineRedactor(
  redactor: Redactor,
  options: LineRedactorOptions = {},
): LineRedactor {
  const maxLineChars = Math.max(options.maxLineChars ?? DEFAULT_MAX_LINE_CHARS, 1024);
  const tailChars = Math.max(MIN_TAIL_CHARS, 2 * redactor.known.longestChars);
  let buffer = "";
  let inPrivateKey = false;
  let swallow: Swallow = null;

  /** A line too long to hold: emit a redacted prefix that ends outside every match. */
  function cutLongLine(): string {
    if (openPrivateKeyStart(buffer) >= 0) {
      const out = redactor.text(buffer);
      inPrivateKey = true;
      buffer = buffer.slice(-PEM_STOP_MAX_CHARS);
      return out;
    }
    const s = redactSecretsAndKeys(redactor.known, buffer);
    const { spans } = shapePass(s);
    let cut = s.length > 2 * tailChars ? s.length - tailChars : s.length >> 1;
    const covering = spanAt(spans, cut);
    if (covering !== undefined) cut = covering.from;
    for (let i = cut; i > 0 && i > cut - BOUNDARY_SEARCH_CHARS; i--) {
      if (/\s/.test(s[i] as string) && spanAt(spans, i) === undefined) {
        cut = i;
        break;
      }
    }
    if (cut === 0) {
      // One match covers the whole kept window: emit it, and drop the rest of its value.
      const first = covering as RedactionSpan;
      cut = first.end;
      if (first.end === s.length) swallow = first.quoted ? "quoted" : "value";
    }
    buffer = s.slice(cut);
    return emitPrefix(s, spans, cut);
  }

  function drain(final: boolean): string {
    let out = "";
    for (;;) {
      if (swallow !== null) {
        const rest = (swallow === "quoted" ? LEADING_QUOTED : LEADING_VALUE).exec(buffer);
        buffer = buffer.slice(rest?.[0].length ?? 0);
        if (buffer === "" && !final) return out;
        swallow = null;
      }
      if (inPrivateKey) {
        const stop = PEM_STOP.exec(buffer);
        if (!stop) {
          buffer = final ? "" : buffer.slice(-PEM_STOP_MAX_CHARS);
          return out;
        }
        buffer = stop[0] === '"'
          ? buffer.slice(stop.index)
          : buffer.slice(stop.index + stop[0].length);
        inPrivateKey = false;
      }
      const cut = final ? buffer.length : buffer.lastIndexOf("\n") + 1;
      if (cut > 0) {
        let block = buffer.slice(0, cut);
        buffer = buffer.slice(cut);
        if (!final) [block, buffer] = holdWrappedTail(redactor.known, block, buffer);
        out += redactor.text(block);
        if (openPrivateKeyStart(block) >= 0) {
          inPrivateKey = true;
          continue;
        }
      }
      if (final) return out;
      if (buffer.length <= maxLineChars) return out;
      out += cutLongLine();
    }
  }

  return {
    push(chunk) {
      buffer += chunk;
      // Most chunks of a long line only extend it: skip rescanning the whole buffer.
      const idle = !inPrivateKey && swallow === null && buffer.length <= maxLineChars;
      return idle && !chunk.includes("\n") ? "" : drain(false);
    },
    end: () => drain(true),
    get bufferedChars() {
      return buffer.length;
    },
  };
}

/** A `TransformStream` of text through the redactor (pipe a `TextDecoderStream` into it). */
export function createRedactStream(
  redactor: Redactor,
  options: LineRedactorOptions = {},
): TransformStream<string, string> {
  const lines = createLineRedactor(redactor, options);
  return new TransformStream<string, string>({
    transform(chunk, controller) {
      const out = lines.push(chunk);
      if (out !== "") controller.enqueue(out);
    },
    flush(controller) {
      const out = lines.end();
      if (out !== "") controller.enqueue(out);
    },
  });
}

export interface RedactTextOptions extends LineRedactorOptions {
  /** Size of the pieces the text is fed in (as if it arrived in chunks). */
  chunkChars?: number;
}

/** Runs a whole string through the streaming redactor in chunks (tests and benchmarks). */
export function redactText(
  redactor: Redactor,
  input: string,
  options: RedactTextOptions = {},
): string {
  const lines = createLineRedactor(redactor, options);
  const chunkChars = Math.max(1, options.chunkChars ?? 65536);
  let out = "";
  for (let i = 0; i < input.length; i += chunkChars) {
    out += lines.push(input.slice(i, i + chunkChars));
  }
  return out + lines.end();
}

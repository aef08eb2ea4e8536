/**
 * Output for every command: stdout for results, stderr for diagnostics, both through the one
 * redactor: commands write here, never to the console directly.
 */
import { createRedactor, type Redactor } from "../redact/mod.ts";

/**
 * Every line the program writes goes through here, and so through the redactor:
 * results on stdout, diagnostics on stderr.
 */
export interface Output {
  /** A result line on stdout. */
  out(line: string): void;
  /** A diagnostic line on stderr. */
  err(line: string): void;
  /** Result text on stdout as is, no newline added (still through the redactor). */
  outText(text: string): void;
  /**
   * Lines on stdout or stderr (a newline added) without holding up the thread while the
   * reader is slow; resolves once written. Its caller keeps one write under way at a time
   * (line_batcher.ts), so the lines of two calls never mix.
   */
  writeLater(stream: "out" | "err", text: string): Promise<void>;
  readonly redactor: Redactor;
  /** Adds values that must never be printed from now on (e.g. a freshly made secret). */
  protect(secrets: Iterable<string>): void;
}

export interface WritableSink {
  writeSync(bytes: Uint8Array): number;
  /** A write that does not block the thread, where the sink has one (Deno.stdout, Deno.stderr). */
  write?(bytes: Uint8Array): Promise<number>;
}

export interface OutputOptions {
  redactor?: Redactor;
  stdout?: WritableSink;
  stderr?: WritableSink;
}

export function createOutput(options: OutputOptions = {}): Output {
  let redactor = options.redactor ?? createRedactor();
  const stdout = options.stdout ?? Deno.stdout;
  const stderr = options.stderr ?? Deno.stderr;
  const encoder = new TextEncoder();
  const write = (sink: WritableSink, text: string) => {
    const bytes = encoder.encode(redactor.text(text));
    let written = 0;
    while (written < bytes.length) written += sink.writeSync(bytes.subarray(written));
  };
  const writeLater = async (sink: WritableSink, text: string) => {
    if (sink.write === undefined) return write(sink, text);
    const bytes = encoder.encode(redactor.text(text));
    let written = 0;
    while (written < bytes.length) written += await sink.write(bytes.subarray(written));
  };
  return {
    out: (line) => write(stdout, line + "\n"),
    err: (line) => write(stderr, line + "\n"),
    outText: (text) => write(stdout, text),
    writeLater: (stream, text) => writeLater(stream === "out" ? stdout : stderr, text + "\n"),
    get redactor() {
      return redactor;
    },
    protect(secrets) {
      redactor = redactor.withSecrets(secrets);
    },
  };
}

/** An Output that keeps what it is given, for tests. */
export function createMemoryOutput(
  redactor?: Redactor,
): Output & { stdout(): string; stderr(): string } {
  const decoder = new TextDecoder();
  const chunks = { out: [] as string[], err: [] as string[] };
  const sink = (into: string[]): WritableSink => ({
    writeSync(bytes) {
      into.push(decoder.decode(bytes));
      return bytes.length;
    },
  });
  const output = createOutput({
    ...(redactor ? { redactor } : {}),
    stdout: sink(chunks.out),
    stderr: sink(chunks.err),
  });
  return Object.assign(output, {
    stdout: () => chunks.out.join(""),
    stderr: () => chunks.err.join(""),
  });
}

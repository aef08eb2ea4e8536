/**
 * Lines written within a short window go out as one write, and that write never holds up
 * the JavaScript thread: a busy `serve` logs a line per request (and prints one per event
 * handed off), and one redaction pass and one write per batch cost far less than one per
 * line. A reader that falls behind (a full pipe, a slow terminal) makes the writes wait,
 * not the requests; lines gather meanwhile, up to a bound past which they are counted and
 * dropped, and the count is written once the reader catches up. Lines keep their order.
 */
import type { Output } from "./output.ts";

export interface LineBatcher {
  /**
   * Holds `line` for the next write; resolves true once it is written, false when it was
   * dropped or its write failed (the reader closed the stream).
   */
  write(line: string): Promise<boolean>;
  /** Writes what is held and waits for every write under way (a graceful stop). */
  drain(): Promise<void>;
  /** Writes what is held at once, blocking if it must (the process is about to exit). */
  flush(): void;
}

/** One of the program's streams as a LineSink, through the Output and so the redactor. */
export function outputSink(output: Output, stream: "out" | "err"): LineSink {
  return {
    write: (text) => output.writeLater(stream, text),
    writeSync: (text) => stream === "out" ? output.out(text) : output.err(text),
  };
}

export interface LineSink {
  /** Writes the text (lines joined by newlines, no final one) without blocking the thread. */
  write(text: string): Promise<void>;
  /** The same, blocking: only when the process is about to exit. */
  writeSync(text: string): void;
}

export interface BatchOptions {
  /**
   * How long the first line of a batch may wait for others (default 20 ms; 0: written at
   * once when no write is under way, the lines that come meanwhile going into the next).
   */
  delayMs?: number;
  /** A batch this long is written at once (default 1,000 lines). */
  maxLines?: number;
  /** Lines held while a write waits for the reader, at most; past it, dropped (default 20,000). */
  maxHeldLines?: number;
  /** The line that reports `n` dropped lines. */
  droppedLine?: (n: number) => string;
}

interface Held {
  line: string;
  written: (ok: boolean) => void;
}

export function batchLines(sink: LineSink, options: BatchOptions = {}): LineBatcher {
  const delayMs = options.delayMs ?? 20;
  const maxLines = options.maxLines ?? 1_000;
  const maxHeld = options.maxHeldLines ?? 20_000;
  const droppedLine = options.droppedLine ??
    ((n: number) => `${n} lines dropped: the reader of this stream was not keeping up`);
  let held: Held[] = [];
  let dropped = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> | null = null;

  /** The held lines as one text (with the count of dropped ones), and who waits for them. */
  const take = (): { text: string; written: ((ok: boolean) => void)[] } | null => {
    if (held.length === 0 && dropped === 0) return null;
    const batch = held;
    held = [];
    const lines = batch.map((entry) => entry.line);
    if (dropped > 0) lines.push(droppedLine(dropped));
    dropped = 0;
    return { text: lines.join("\n"), written: batch.map((entry) => entry.written) };
  };
  const clearTimer = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  /** Starts the next write unless one is under way; the end of each starts the next. */
  const pump = () => {
    clearTimer();
    if (writing !== null) return;
    const batch = take();
    if (batch === null) return;
    writing = sink.write(batch.text).then(() => true, () => false).then((ok) => {
      writing = null;
      for (const written of batch.written) written(ok);
      if (held.length > 0 || dropped > 0) pump();
    });
  };
  return {
    write(line) {
      if (held.length >= maxHeld) {
        dropped++;
        return Promise.resolve(false);
      }
      const written = new Promise<boolean>((resolve) => held.push({ line, written: resolve }));
      if (writing === null) {
        if (held.length >= maxLines || delayMs === 0) pump();
        else timer ??= setTimeout(pump, delayMs);
      }
      return written;
    },
    async drain() {
      clearTimer();
      while (writing !== null || held.length > 0 || dropped > 0) {
        if (writing === null) pump();
        await writing;
      }
    },
    flush() {
      clearTimer();
      const batch = take();
      if (batch === null) return;
      sink.writeSync(batch.text);
      for (const written of batch.written) written(true);
    },
  };
}

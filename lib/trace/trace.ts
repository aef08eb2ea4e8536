/**
 * The JSONL trace: the only writer of trace lines. One JSON object per line, with a
 * `time` field, redacted as a tree, serialized, then redacted as text once more.
 *
 * `write()` only appends to an in-memory queue; a single flusher writes batches in
 * order on a later tick, so a response path never waits for the disk. The file is
 * rotated at `maxBytes`, keeping `keep` previous files (`<path>.1` newest … `<path>.<keep>`).
 */
import { errorMessage } from "../util/mod.ts";
import {
  createRedactor,
  type Redactor,
  stringifyRedacted,
  stringifyRedactedLines,
} from "../redact/mod.ts";
import type { TraceSink } from "./trace_sink.ts";

/** The trace file cannot be opened; the CLI turns it into a configuration error naming its flag. */
export class TraceOpenError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`cannot open the trace file '${path}' (${reason})`);
    this.name = "TraceOpenError";
  }
}

export const DEFAULT_TRACE_PATH = ".hookgate/trace.jsonl";
export const DEFAULT_TRACE_MAX_BYTES = 50 * 1024 * 1024;
/** Rotated files kept beside the current one. */
export const DEFAULT_TRACE_KEEP = 5;
/** Records held in memory when the disk falls behind; past this, records are counted and dropped. */
export const DEFAULT_TRACE_MAX_QUEUED = 10_000;
/** How long a record may wait to be written with the ones after it (close() and flush() do not wait). */
const FLUSH_DELAY_MS = 20;

export interface TraceOptions {
  /** Rotate when the file would grow past this (50 MB by default). */
  maxBytes?: number;
  /** Rotated files kept (`<path>.1` … `<path>.<keep>`, 5 by default). */
  keep?: number;
  /** The process's redactor (with the secrets it knows); a pattern-only one by default. */
  redactor?: Redactor;
  /** The clock, for the `time` field (ms since the epoch). */
  now?: () => number;
  maxQueued?: number;
  /** Told once per failure streak when a write or a rotation fails (the trace never throws). */
  onError?: (error: unknown) => void;
}

export interface TraceFile extends TraceSink {
  readonly path: string;
  /** Resolves when every record written so far is on disk. */
  flush(): Promise<void>;
  /** Records dropped because the queue was full. */
  readonly dropped: number;
}

interface Queued {
  timeMs: number;
  record: object;
}

function parentDir(path: string): string | null {
  const slash = path.lastIndexOf("/");
  return slash > 0 ? path.slice(0, slash) : null;
}

async function openAppend(path: string): Promise<Deno.FsFile> {
  const file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
  // The mode applies only when the file is created: an older, wider one is narrowed too.
  await Deno.chmod(path, 0o600);
  return file;
}

/**
 * Opens (creating it and its directory) the trace file. A path that cannot be opened is
 * a configuration error at start-up that names `--trace`.
 */
export async function openTrace(path: string, options: TraceOptions = {}): Promise<TraceFile> {
  const maxBytes = options.maxBytes ?? DEFAULT_TRACE_MAX_BYTES;
  const keep = Math.max(1, options.keep ?? DEFAULT_TRACE_KEEP);
  const maxQueued = options.maxQueued ?? DEFAULT_TRACE_MAX_QUEUED;
  const redactor = options.redactor ?? createRedactor();
  const now = options.now ?? Date.now;
  let file: Deno.FsFile;
  let size: number;
  try {
    const dir = parentDir(path);
    if (dir !== null) await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    file = await openAppend(path);
    size = (await file.stat()).size;
  } catch (error) {
    const reason = errorMessage(error);
    throw new TraceOpenError(path, reason);
  }

  const encoder = new TextEncoder();
  let queue: Queued[] = [];
  let dropped = 0;
  let reportedDrops = 0;
  let closed = false;
  let failing = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let flushing: Promise<void> | null = null;

  const report = (error: unknown) => {
    if (!failing) options.onError?.(error);
    failing = true;
  };

  const serialize = ({ timeMs, record }: Queued): string => {
    const time = new Date(timeMs).toISOString();
    try {
      return stringifyRedacted(redactor, { time, ...record }) + "\n";
    } catch {
      // A record that cannot be serialized (a throwing getter) costs its own line only.
      return JSON.stringify({ time, type: "trace", error: "unserializable record" }) + "\n";
    }
  };

  async function writeAll(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    size += bytes.length;
  }

  async function rotate(): Promise<void> {
    file.close();
    try {
      for (let i = keep - 1; i >= 1; i--) {
        await Deno.rename(`${path}.${i}`, `${path}.${i + 1}`).catch((error) => {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        });
      }
      await Deno.rename(path, `${path}.1`);
    } finally {
      // Even when the rename failed, keep a file open so later records are not all lost.
      file = await openAppend(path);
      size = (await file.stat()).size;
    }
  }

  /** All records of a batch in one redaction pass; record by record only if one cannot be serialized. */
  const serializeAll = (batch: Queued[]): string[] => {
    try {
      const records = batch.map(({ record }) => record);
      const times = batch.map(({ timeMs }) => new Date(timeMs).toISOString());
      return stringifyRedactedLines(redactor, records, times).map((line) => line + "\n");
    } catch {
      return batch.map(serialize);
    }
  };

  async function writeBatch(batch: Queued[]): Promise<void> {
    const lines = serializeAll(batch);
    if (dropped > reportedDrops) {
      lines.push(
        serialize({ timeMs: now(), record: { type: "trace", dropped: dropped - reportedDrops } }),
      );
      reportedDrops = dropped;
    }
    // One encode and one write for the batch, unless it reaches the rotation size.
    const whole = encoder.encode(lines.join(""));
    if (size + whole.length <= maxBytes) return await writeAll(whole);
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    for (const line of lines) {
      const bytes = encoder.encode(line);
      if (size + pendingBytes + bytes.length > maxBytes && size + pendingBytes > 0) {
        if (pendingBytes > 0) await writeAll(concat(pending, pendingBytes));
        pending = [];
        pendingBytes = 0;
        await rotate();
      }
      pending.push(bytes);
      pendingBytes += bytes.length;
    }
    if (pendingBytes > 0) await writeAll(concat(pending, pendingBytes));
  }

  async function writeQueued(): Promise<void> {
    while (queue.length > 0 || dropped > reportedDrops) {
      const batch = queue;
      queue = [];
      try {
        await writeBatch(batch);
        failing = false;
      } catch (error) {
        report(error);
      }
    }
  }

  function flush(): Promise<void> {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    flushing ??= writeQueued().finally(() => {
      flushing = null;
    });
    return flushing.then(() => (queue.length > 0 ? flush() : undefined));
  }

  return {
    path,
    write(record) {
      if (closed) return;
      if (queue.length >= maxQueued) {
        dropped++;
        return;
      }
      queue.push({ timeMs: now(), record });
      // Written a little later, not in a microtask: the response this record describes goes
      // out first, and the records of FLUSH_DELAY_MS share one redaction pass and one write
      // (a write per event loop tick would be a cost every request of a forged flood pays).
      timer ??= setTimeout(() => {
        timer = undefined;
        void flush();
      }, FLUSH_DELAY_MS);
    },
    flush,
    async close() {
      if (closed) return;
      closed = true;
      await flush();
      file.close();
    },
    get dropped() {
      return dropped;
    },
  };
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/**
 * The agent's three pipes: the payload written to stdin, stdout and stderr read
 * with a cap. Each can be abandoned after a grace period, so a descendant that
 * escaped the kill and still holds a pipe cannot hold the hand-off.
 */
import { concatBytes } from "../util/mod.ts";

export interface CapturedOutput {
  /** The first bytes, up to the cap. */
  bytes: Uint8Array;
  /** The last bytes after those (up to the end cap): empty when nothing was cut. */
  end: Uint8Array;
  totalBytes: number;
  truncated: boolean;
}

export const EMPTY_OUTPUT: CapturedOutput = {
  bytes: new Uint8Array(),
  end: new Uint8Array(),
  totalBytes: 0,
  truncated: false,
};

export async function settlesWithin(promise: Promise<unknown>, graceMs: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), graceMs);
  });
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Writes the payload; a command that exits without reading it is not an error of ours. */
export function feed(stdin: WritableStream<Uint8Array>, bytes: Uint8Array) {
  const writer = stdin.getWriter();
  const writing = (async () => {
    try {
      await writer.write(bytes);
      await writer.close();
    } catch {
      // BrokenPipe: the command closed stdin or exited.
    }
  })();
  return {
    /** Resolves once written, or after `graceMs` (a descendant escaped and holds stdin). */
    async done(graceMs: number): Promise<void> {
      if (await settlesWithin(writing, graceMs)) return;
      // Not awaited: abort() waits for the blocked write, which ends only when the
      // escaped process dies. The write is abandoned; its error is already caught.
      void writer.abort().catch(() => {});
    },
  };
}

/**
 * Reads a stream to its end, keeping the first `capBytes` and the last `endBytes` after them
 * (where a failing command says why); the rest is read and dropped.
 */
export function capture(stream: ReadableStream<Uint8Array>, capBytes: number, endBytes = 0) {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  /** Past the cap: the newest chunks holding at least the last `endBytes`. */
  const endChunks: Uint8Array[] = [];
  let endHeld = 0;
  let kept = 0;
  let total = 0;
  const keepEnd = (part: Uint8Array) => {
    if (endBytes === 0 || part.length === 0) return;
    const last = part.slice(-endBytes);
    endChunks.push(last);
    endHeld += last.length;
    // The oldest chunk goes once the newer ones hold the whole end without it.
    while (endHeld - (endChunks[0]?.length ?? 0) >= endBytes) {
      endHeld -= endChunks.shift()?.length ?? 0;
    }
  };
  const reading = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        total += value.length;
        if (kept < capBytes) {
          const part = value.slice(0, capBytes - kept);
          chunks.push(part);
          kept += part.length;
          keepEnd(value.subarray(part.length));
        } else keepEnd(value);
      }
    } catch {
      // Cancelled below, or the pipe broke: keep what arrived.
    }
  })();
  return {
    /** Resolves once the pipe closes, or after `graceMs` (a descendant escaped and holds it). */
    async done(graceMs: number): Promise<CapturedOutput> {
      if (!(await settlesWithin(reading, graceMs))) {
        await reader.cancel().catch(() => {});
        await reading;
      }
      return {
        bytes: concatBytes(...chunks),
        end: endBytes === 0 ? new Uint8Array() : concatBytes(...endChunks).slice(-endBytes),
        totalBytes: total,
        truncated: total > capBytes,
      };
    },
  };
}

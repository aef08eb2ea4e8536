/**
 * Lines written within a short window go out as one write: a busy `serve`
 * logs a line per request, and one redaction pass and one write syscall per
 * batch cost the receive path far less than one per line. Lines keep their
 * order; `flush()` writes what is held at once (on shutdown).
 */
export interface LineBatcher {
  write(line: string): void;
  flush(): void;
}

/** `write` gets the held lines joined by newlines, at most `delayMs` after the first. */
export function batchLines(
  write: (text: string) => void,
  options: { delayMs?: number; maxLines?: number } = {},
): LineBatcher {
  const delayMs = options.delayMs ?? 20;
  const maxLines = options.maxLines ?? 1_000;
  let held: string[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (held.length === 0) return;
    const lines = held;
    held = [];
    write(lines.join("\n"));
  };
  return {
    write(line) {
      held.push(line);
      if (held.length >= maxLines) flush();
      else timer ??= setTimeout(flush, delayMs);
    },
    flush,
  };
}

/**
 * Refused requests are summarised in the trace instead of written one by one: anyone can
 * send junk, and a record per junk request would rotate the records of accepted events out
 * of the trace. Within each window (one second by default) the first refusal of a reason is
 * kept, the others are only counted, and at the end of the window one record per reason is
 * written: the first refusal's fields plus `count`. Everything else passes straight through.
 */
import type { TraceSink } from "./trace_sink.ts";

export const REFUSAL_WINDOW_MS = 1000;
/** Reasons are a small fixed set; past this many in one window, further ones are only counted. */
const MAX_REASONS_PER_WINDOW = 256;

interface Pending {
  record: Record<string, unknown>;
  count: number;
}

/** The summary key of a refused request or API call (a 4xx), or null for anything else. */
function refusalReason(record: object): string | null {
  const { type, status, outcome, refused } = record as Record<string, unknown>;
  if (type !== "request" && type !== "api") return null;
  if (typeof status !== "number" || status < 400 || status >= 500) return null;
  return `${type} ${status} ${String(outcome ?? refused ?? "")}`;
}

export function summarizeRefusals(
  sink: TraceSink,
  options: { windowMs?: number } = {},
): TraceSink {
  const windowMs = options.windowMs ?? REFUSAL_WINDOW_MS;
  const pending = new Map<string, Pending>();
  let uncounted = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const flush = () => {
    timer = undefined;
    for (const { record, count } of pending.values()) sink.write({ ...record, count });
    if (uncounted > 0) sink.write({ type: "refusals", reason: "other", count: uncounted });
    pending.clear();
    uncounted = 0;
  };

  return {
    write(record) {
      const reason = refusalReason(record);
      if (reason === null) return sink.write(record);
      const known = pending.get(reason);
      if (known !== undefined) known.count++;
      else if (pending.size >= MAX_REASONS_PER_WINDOW) uncounted++;
      else pending.set(reason, { record: { ...record }, count: 1 });
      timer ??= setTimeout(flush, windowMs);
    },
    async close() {
      clearTimeout(timer);
      flush();
      await sink.close();
    },
  };
}

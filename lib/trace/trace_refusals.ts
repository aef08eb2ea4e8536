/**
 * Refused requests and replays are summarised in the trace instead of written one by one:
 * anyone can send junk, anyone who saw one signed delivery can replay it, and a record per
 * junk request or replay would rotate the records of accepted events out of the trace.
 * Within each window (one second by default) the first refusal of a reason is
 * kept, the others are only counted, and at the end of the window one record per reason is
 * written: the first refusal's fields plus `count`. Everything else passes straight through.
 * The window is lib/util's `windowedTally`, which serve's log uses for its own summary too.
 */
import { isReplay } from "../receive/mod.ts";
import { keyJoiner, windowedTally } from "../util/mod.ts";
import type { TraceSink } from "./trace_sink.ts";

export const REFUSAL_WINDOW_MS = 1000;
/** Reasons are a small fixed set; past this many in one window, further ones are only counted. */
const MAX_REASONS_PER_WINDOW = 256;

/**
 * The summary key of a refused request or API call (a 4xx) or of a replay (a duplicate,
 * answered 200 so the sender stops retrying), or null for anything else.
 */
function refusalReason(record: object): string | null {
  const { type, status, outcome, refused } = record as Record<string, unknown>;
  if (type !== "request" && type !== "api") return null;
  if (isReplay(record)) return requestReason(status as number, "duplicate");
  if (typeof status !== "number" || status < 400 || status >= 500) return null;
  const why = String(outcome ?? refused ?? "");
  return type === "request" ? requestReason(status, why) : apiReason(status, why);
}

const requestReason = keyJoiner("request ");
const apiReason = keyJoiner("api ");

export function summarizeRefusals(
  sink: TraceSink,
  options: { windowMs?: number } = {},
): TraceSink {
  const refusals = windowedTally<object>({
    windowMs: options.windowMs ?? REFUSAL_WINDOW_MS,
    maxKeys: MAX_REASONS_PER_WINDOW,
    // The caller may reuse its record once write() returns (the TraceSink contract).
    keep: (record) => ({ ...record }),
    report(entries, other) {
      for (const { first, count } of entries.values()) sink.write({ ...first, count });
      if (other > 0) sink.write({ type: "refusals", reason: "other", count: other });
    },
  });

  return {
    write(record) {
      const reason = refusalReason(record);
      if (reason === null) return sink.write(record);
      refusals.count(reason, record);
    },
    async close() {
      refusals.flush();
      await sink.close();
    },
  };
}

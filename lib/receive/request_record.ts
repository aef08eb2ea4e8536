/** What the receive path reports about one request, for the trace (never the payload or headers). */
export interface RequestRecord {
  /** The trace record type: the receive path writes one "request" record per request. */
  type: "request";
  method: string;
  path: string;
  /** The peer's IP address (from Deno.serve), when known. */
  remoteAddress: string | null;
  /** The route's name, when the path matched one. */
  route: string | null;
  status: number;
  /** "accepted", "duplicate", or the short reason given to the client. */
  outcome: string;
  key: string | null;
  id: string | null;
  bodyBytes: number;
  durationMs: number;
}

/**
 * Whether a request was a replay: a delivery whose event was claimed before, answered 200 so
 * an honest sender stops retrying. Whoever saw one signed delivery can send it again as fast
 * as junk, so the trace and the log summarise replays as they summarise refusals.
 */
export function isReplay(record: { type?: unknown; outcome?: unknown }): boolean {
  return record.type === "request" && record.outcome === "duplicate";
}

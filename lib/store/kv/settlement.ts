/**
 * What a hand-off's verdict makes of a Deno KV record: `settledStatus` (event_store.ts)
 * decides done, retrying or dead; this sets the record's due time, error and status to
 * match. The same policy serves the push consumer (`serve --exec`) and pull consumers.
 */
import { type RetryPolicy, settledStatus, type Settlement } from "../event_store.ts";
import type { EventRecord } from "./layout.ts";
import { MISSING_PAYLOAD } from "../push_consumer.ts";

/** The error of a hand-off whose payload chunks are gone: retrying cannot help. */
export { MISSING_PAYLOAD };

export interface Settled {
  result: "done" | "retrying" | "dead";
  record: EventRecord;
}

/** The record after `settlement` of its current attempt, under `policy`. */
export function settledRecord(
  record: EventRecord,
  settlement: Settlement,
  policy: RetryPolicy,
  nowMs: number,
): Settled {
  const verdict: Settlement = !settlement.ok && settlement.error === MISSING_PAYLOAD
    ? { ok: false, error: MISSING_PAYLOAD, retry: false }
    : settlement;
  const result = settledStatus(record.attempt, verdict, policy);
  const base = {
    ...record,
    leaseId: null,
    leaseExpiresAtMs: 0,
    updatedAtMs: nowMs,
    lastError: verdict.ok ? null : verdict.error,
  };
  if (result === "retrying") {
    const delayMs = Math.max(0, Math.round(policy.retryDelayMs(record.attempt)));
    return { result, record: { ...base, dueAtMs: nowMs + delayMs } };
  }
  return { result, record: { ...base, status: result } };
}

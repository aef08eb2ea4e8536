/** How an event looks to the model: plain JSON fields, times as ISO 8601, the payload parsed. */
import { payloadSize } from "../store/mod.ts";
import type { StoredEvent } from "./pull_store.ts";

export function eventSummary(event: StoredEvent): Record<string, unknown> {
  return {
    route: event.route,
    key: event.key,
    id: event.id,
    status: event.status,
    attempt: event.attempt,
    received_at: new Date(event.receivedAtMs).toISOString(),
    last_error: event.lastError,
    payload_bytes: payloadSize(event),
  };
}

/** The payload as JSON when it parses (it does for every accepted event), else as text. */
export function payloadOf(event: StoredEvent): unknown {
  const text = new TextDecoder().decode(event.payload);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

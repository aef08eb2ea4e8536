/** The store's pull side as the MCP tools use it: lease, settle, list, get. */
import type { EventStore } from "../store/mod.ts";

export type {
  EventStatus,
  Lease,
  RetryPolicy,
  Settlement,
  SettleResult,
  StoredEvent,
} from "../store/mod.ts";

/** What the event tools need of a store. */
export type PullStore = Pick<EventStore, "lease" | "settle" | "list" | "get">;

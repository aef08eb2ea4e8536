/**
 * The store's pull side as the MCP tools use it: lease, settle, list, get.
 * These mirror the EventStore pull API; once the store exports them, this file
 * only re-exports.
 */
import type { EventStatus, StoredEvent } from "../event_store.ts";

export type { EventStatus, StoredEvent };

/** One consumer's hold on a pending event until `expiresAtMs`. */
export interface Lease {
  event: StoredEvent;
  leaseId: string;
  expiresAtMs: number;
}

export interface LeaseOptions {
  route?: string;
  leaseMs: number;
  waitMs: number;
  signal?: AbortSignal;
}

export interface RetryPolicy {
  maxAttempts: number;
  retryDelayMs(attempt: number): number;
}

export type Settlement = { ok: true } | { ok: false; error: string; retry?: boolean };

export type SettleResult = "done" | "retrying" | "dead" | "lost";

/** What the event tools need of a store. */
export interface PullStore {
  lease(options: LeaseOptions): Promise<Lease | null>;
  settle(
    lease: { route: string; key: string; leaseId: string },
    settlement: Settlement,
    policy: RetryPolicy,
  ): Promise<SettleResult>;
  list(options: { status?: EventStatus; route?: string; limit: number }): Promise<StoredEvent[]>;
  get(route: string, key: string): Promise<StoredEvent | null>;
}

/**
 * A store for receive-path tests that holds each claim (key and aliases) exactly until
 * receivedAtMs + retentionMs, as the real stores do, and records every accept() call.
 * Local by default: it lets the receive path answer replays from memory, as the SQLite and
 * Deno KV stores do.
 */
import type { AcceptOutcome, EventStore, IncomingEvent } from "../../lib/store/mod.ts";

export interface ExpiringStoreOptions {
  /** What the store says of replays from memory (default true, a local store). */
  replaysFromMemory?: boolean;
  /** An error to reject accept() with, or null to answer; asked on every call. */
  fail?: () => Error | null;
}

export function expiringStore(now: () => number, options: ExpiringStoreOptions = {}) {
  /** route, NUL, key or `alias:` + alias → claimed until. */
  const held = new Map<string, number>();
  /** Every accept() call, answered or not. */
  const calls: IncomingEvent[] = [];
  /** The events answered "accepted". */
  const accepted: IncomingEvent[] = [];
  const store: EventStore = {
    replaysFromMemory: options.replaysFromMemory ?? true,
    accept(event) {
      calls.push(event);
      const failure = options.fail?.() ?? null;
      if (failure !== null) return Promise.reject(failure);
      const ids = [event.key, ...(event.aliasKeys ?? []).map((alias) => `alias:${alias}`)]
        .map((key) => `${event.route}\0${key}`);
      if (ids.some((id) => (held.get(id) ?? 0) > now())) {
        return Promise.resolve<AcceptOutcome>("duplicate");
      }
      for (const id of ids) held.set(id, event.receivedAtMs + event.retentionMs);
      accepted.push(event);
      return Promise.resolve<AcceptOutcome>("accepted");
    },
    consume: () => Promise.resolve(),
    list: () => Promise.resolve([]),
    get: () => Promise.resolve(null),
    redeliver: () => Promise.resolve("unknown" as const),
    lease: () => Promise.resolve(null),
    settle: () => Promise.resolve("lost"),
    close: () => Promise.resolve(),
  };
  return { store, calls, accepted, held };
}

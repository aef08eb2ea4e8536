/**
 * What the EventStore contract's tests are made of: fresh events, payload bytes,
 * consume() runs with a stopping condition, and accept-then-lease.
 */
import assert from "node:assert/strict";
import type {
  ConsumeOptions,
  EventStore,
  HandlerOutcome,
  IncomingEvent,
  RetryPolicy,
  StoredEvent,
} from "../../lib/store/mod.ts";

/** Registers one contract test: `body` gets a fresh store of the backend under test. */
export type ContractTest = (title: string, body: (store: EventStore) => Promise<void>) => void;

export const ROUTE = "webhook";
let sequence = 0;

export function event(overrides: Partial<IncomingEvent> = {}): IncomingEvent {
  sequence++;
  const id = overrides.id === undefined ? `evt_${sequence}_${crypto.randomUUID()}` : overrides.id;
  return {
    route: ROUTE,
    key: id === null ? `sha256:${crypto.randomUUID().replaceAll("-", "")}` : `id:${id}`,
    id,
    payload: new TextEncoder().encode(JSON.stringify({ id, n: sequence })),
    receivedAtMs: Date.now(),
    retentionMs: 600_000,
    ...overrides,
  };
}

export function bytesOf(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function options(
  overrides: Partial<ConsumeOptions> & { signal: AbortSignal },
): ConsumeOptions {
  return { maxAttempts: 3, retryDelayMs: () => 10, concurrency: 4, ...overrides };
}

/**
 * Runs consume() until `until()` holds (checked after each hand-off) or the
 * time limit, then stops it and waits for it to return. Returns whether it held.
 */
export async function consumeUntil(
  store: EventStore,
  handler: (event: StoredEvent, context: { signal: AbortSignal }) => Promise<HandlerOutcome>,
  until: () => boolean,
  overrides: Partial<ConsumeOptions> = {},
  limitMs = 15_000,
): Promise<boolean> {
  const stop = new AbortController();
  let held = false;
  const timer = setTimeout(() => stop.abort(), limitMs);
  const consuming = store.consume(async (stored, context) => {
    const outcome = await handler(stored, context);
    queueMicrotask(() => {
      if (until()) {
        held = true;
        stop.abort();
      }
    });
    return outcome;
  }, options({ ...overrides, signal: stop.signal }));
  await consuming;
  clearTimeout(timer);
  return held;
}

export const POLICY: RetryPolicy = { maxAttempts: 3, retryDelayMs: () => 0 };

/** Accepts a fresh event and leases it: the event, its lease, and what settle() needs to name it. */
export async function acceptAndLease(store: EventStore, leaseMs = 30_000) {
  const incoming = event();
  await store.accept(incoming);
  const lease = await store.lease({ leaseMs, waitMs: 0 });
  assert.ok(lease, "the accepted event was not handed out");
  return { incoming, lease, held: { ...lease.event, leaseId: lease.leaseId } };
}

/**
 * THE contract of lib/store/event_store.ts, as tests. Every backend runs it
 * (tests/store/event_store_contract_test.ts), so a backend cannot silently drift.
 * The tests themselves are in contract_accept_consume.ts and contract_lease_settle.ts.
 */
import type { EventStore } from "../../lib/store/mod.ts";
import { acceptAndConsumeContract } from "./contract_accept_consume.ts";
import type { ContractTest } from "./contract_events.ts";
import { leaseAndSettleContract } from "./contract_lease_settle.ts";

export interface ContractStore {
  store: EventStore;
  /** Closes the store (if the test did not) and removes everything it made. */
  dispose(): Promise<void>;
}

export interface ContractOptions {
  /** Registered, but skipped (for example: the backend's server is not installed). */
  ignore?: boolean;
}

/** Registers one Deno.test per promise of the EventStore interface for the backend `name`. */
export function eventStoreContract(
  name: string,
  makeStore: () => Promise<ContractStore>,
  contractOptions: ContractOptions = {},
): void {
  const test: ContractTest = (title, body) =>
    Deno.test({
      name: `${name}: ${title}`,
      ignore: contractOptions.ignore ?? false,
      // A store (the Redis client library) keeps timers and sockets until its close() settles.
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        const made = await makeStore();
        try {
          await body(made.store);
        } finally {
          await made.dispose();
        }
      },
    });

  acceptAndConsumeContract(test);
  leaseAndSettleContract(test);
}

/**
 * Worker entry point (like main.ts, it runs on load, and only ever as a Worker
 * started by `fetchInWorker()` with a net permission limited to the allowlist).
 * One message in, one outcome out, then the worker ends.
 */
import { type HopOutcome, type HopRequest, performHop } from "./fetch_worker.ts";

interface WorkerScope {
  onmessage: ((event: MessageEvent<HopRequest>) => void) | null;
  postMessage(message: HopOutcome, transfer: Transferable[]): void;
  close(): void;
}

const scope = globalThis as unknown as WorkerScope;

scope.onmessage = async (event) => {
  const outcome = await performHop(event.data);
  scope.postMessage(outcome, outcome.kind === "response" ? [outcome.body.buffer] : []);
  scope.close();
};

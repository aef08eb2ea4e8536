/**
 * How `serve` stops. One SIGTERM or SIGINT: new requests get 503, the consumer
 * leases nothing more, running hand-offs may finish until the shutdown grace
 * (then their signal aborts: the agent is killed and its event stays pending for
 * the next start), and the process exits 0 by the deadline whatever the backlog
 * and whatever HTTP clients do. A second signal exits at once. Store-agnostic:
 * it sees only the consumer's promise, its abort and the store's close().
 */
import { ExitCode } from "./exit_codes.ts";
import type { Output } from "./output.ts";
import { printable } from "./printable.ts";

export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

type Handler = (
  request: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Promise<Response>;

export interface Drainable {
  handle: Handler;
  /** Refuses new requests and resolves once those in flight are answered (or after `graceMs`). */
  drain(graceMs: number): Promise<void>;
}

/** Wraps a request handler so a shutdown can refuse new requests and wait for those in flight. */
export function drainable(handler: Handler): Drainable {
  let inFlight = 0;
  let stopping = false;
  let idle: () => void = () => {};
  // Made once, not per request: the handler's promise is followed by these, not wrapped in an
  // async frame of its own (every request, refused or not, comes through here).
  const answered = (response: Response) => {
    if (--inFlight === 0) idle();
    return response;
  };
  const failed = (error: unknown): never => {
    if (--inFlight === 0) idle();
    throw error;
  };
  return {
    handle(request, info) {
      if (stopping) {
        return Promise.resolve(
          new Response(JSON.stringify({ error: "shutting down, retry later" }), {
            status: 503,
            headers: { "content-type": "application/json", connection: "close" },
          }),
        );
      }
      inFlight++;
      let answer: Promise<Response>;
      try {
        answer = handler(request, info);
      } catch (error) {
        answer = Promise.reject(error);
      }
      return answer.then(answered, failed);
    },
    drain(graceMs) {
      stopping = true;
      if (inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}

/** What the first signal starts: a wait only when an agent is at work, and for which events. */
function stoppingLine(running: string[], graceMs: number, again: string): string {
  if (running.length === 0) return `hookgate: stopping (${again})`;
  const shown = running.slice(0, 3).map(printable).join(", ") +
    (running.length > 3 ? `, … ${running.length - 3} more` : "");
  const [count, it] = running.length === 1
    ? ["a hand-off", "it stays"]
    : [`${running.length} hand-offs`, "they stay"];
  return `hookgate: stopping: ${count} still running (${shown}) may finish within ` +
    `${graceMs / 1000}s, else ${it} pending for the next start (${again})`;
}

/** The part of the grace kept back for recording verdicts and closing the store. */
export function closingReserveMs(graceMs: number): number {
  return Math.min(1_000, Math.floor(graceMs / 4));
}

export interface ShutdownParts {
  graceMs: number;
  output: Output;
  requests: Drainable;
  server: Deno.HttpServer<Deno.NetAddr>;
  /** Aborting it stops the consumer (null with `--pull`: there is none). */
  consumer: AbortController | null;
  /** The agent hand-offs running at the signal, as `route/key` (none without `--exec`). */
  handoffsRunning(): string[];
  consuming: Promise<void> | null;
  /** Closes the trace, the token list and the store. */
  close(): Promise<void>;
  /** Ends the process now (open connections would otherwise keep it alive). */
  exit(code: ExitCode): never;
}

/** Listens for SIGINT/SIGTERM: the first resolves `stopRequested`, a second exits at once. */
export function listenForStop(output: Output, exit: (code: ExitCode) => never) {
  let signalled = false;
  let resolveStop: () => void = () => {};
  const stopRequested = new Promise<void>((resolve) => resolveStop = resolve);
  const onSignal = () => {
    if (!signalled) {
      signalled = true;
      resolveStop();
      return;
    }
    output.err(
      "hookgate: second signal: exiting now; events not handed off stay pending in the store",
    );
    exit(ExitCode.failed);
  };
  for (const name of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(name, onSignal);
  return {
    stopRequested,
    /** Whether a signal (not the consumer ending) started the stop. */
    get signalled() {
      return signalled;
    },
    remove() {
      for (const name of ["SIGINT", "SIGTERM"] as const) {
        Deno.removeSignalListener(name, onSignal);
      }
    },
  };
}

/** Resolves true when `work` settles within `ms`, false when the time ran out first. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeUp = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([work.then(() => true, () => true), timeUp]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Stops serve within `graceMs` of now. Requests in flight and running hand-offs
 * share the grace minus a reserve for closing; whatever is still open at the
 * deadline (a client trickling its body, a store that does not answer) is left
 * behind and the process exits.
 */
export async function shutDown(parts: ShutdownParts): Promise<ExitCode> {
  const deadline = Date.now() + parts.graceMs;
  const workUntil = deadline - closingReserveMs(parts.graceMs);
  const left = (until: number) => Math.max(0, until - Date.now());
  // Said at once: with a hand-off running, the grace can be a silent wait of several seconds.
  const again = "Ctrl-C again to exit now";
  parts.output.err(stoppingLine(parts.handoffsRunning(), parts.graceMs, again));
  // Stop leasing at once: the backlog stays in the store for the next start.
  parts.consumer?.abort();
  // Deno's shutdown() cuts off a request body still being read, so requests in
  // flight may first finish (new ones get 503: senders retry).
  await parts.requests.drain(left(workUntil));
  const serverClosed = parts.server.shutdown();
  const consumerDone = parts.consuming === null
    ? true
    : await within(parts.consuming, left(deadline));
  const closed = await within(parts.close(), left(deadline));
  const connectionsClosed = await within(serverClosed, left(deadline));
  if (!consumerDone || !closed || !connectionsClosed) {
    const open = [
      consumerDone ? null : "hand-offs",
      closed ? null : "the store",
      connectionsClosed ? null : "HTTP connections",
    ].filter((part) => part !== null).join(", ");
    parts.output.err(
      `hookgate: stopped at the shutdown grace (${parts.graceMs} ms) with ${open} still open; ` +
        "events not handed off stay pending in the store",
    );
    parts.exit(ExitCode.ok);
  }
  parts.output.err("hookgate: stopped");
  return ExitCode.ok;
}

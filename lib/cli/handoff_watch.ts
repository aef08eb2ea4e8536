/**
 * Wraps the act step `serve` hands to `EventStore.consume`, so each hand-off
 * is reported when it ends: exit code, duration, the retry plan or the dead
 * letter. The store decides a retry's delay by calling `retryDelayMs`; the
 * watch draws that delay when the attempt fails, prints it, and gives the
 * store the same value, so the printed plan is the plan.
 */
import type { HandlerContext, HandlerOutcome, StoredEvent } from "../store/mod.ts";
import type { ExecReport } from "../handoff/mod.ts";
import { type HandoffReport, stderrTail } from "./serve_log.ts";

export interface HandoffWatchOptions {
  maxAttempts: number;
  retryDelayMs(attempt: number): number;
  report(report: HandoffReport): void;
  /** A hand-off the shutdown cut short, by `route/key`: its event stays pending. */
  stopped?(who: string): void;
  now(): number;
}

export interface HandoffWatch {
  handler(event: StoredEvent, context?: HandlerContext): Promise<HandlerOutcome>;
  /** For `consume`: the delay printed for this attempt's failure. */
  retryDelayMs(attempt: number): number;
  /** For the exec handler's `onOutput`: exit code and stderr of the attempt. */
  noteExec(report: ExecReport): void;
  /** The hand-offs running now, as `route/key`, oldest first. */
  running(): string[];
}

export function watchHandoffs(
  act: (event: StoredEvent, context?: HandlerContext) => Promise<HandlerOutcome>,
  options: HandoffWatchOptions,
): HandoffWatch {
  const execReports = new Map<string, ExecReport>();
  const running = new Set<string>();
  // Delays drawn for failed attempts, by attempt number, handed out in order.
  const planned = new Map<number, number[]>();
  const attemptKey = (route: string, key: string, attempt: number) =>
    `${route}\u0000${key}\u0000${attempt}`;
  return {
    async handler(event, context) {
      const startedMs = options.now();
      const who = `${event.route}/${event.key}`;
      // A Set of strings: two hand-offs of one event never run at once (the lease).
      running.add(who);
      let outcome: HandlerOutcome;
      try {
        outcome = await act(event, context);
      } finally {
        running.delete(who);
      }
      // Stopped by the shutdown: no verdict is recorded, so there is no attempt to report,
      // only that the event waits for the next start.
      if (context?.signal.aborted) {
        options.stopped?.(who);
        return outcome;
      }
      const id = attemptKey(event.route, event.key, event.attempt);
      const exec = execReports.get(id);
      execReports.delete(id);
      let retryInMs: number | null = null;
      if (!outcome.ok && event.attempt < options.maxAttempts) {
        retryInMs = Math.max(0, Math.round(options.retryDelayMs(event.attempt)));
        planned.set(event.attempt, [...(planned.get(event.attempt) ?? []), retryInMs]);
      }
      options.report({
        route: event.route,
        key: event.key,
        id: event.id,
        attempt: event.attempt,
        maxAttempts: options.maxAttempts,
        ok: outcome.ok,
        error: outcome.ok ? null : describeFailure(outcome.error, exec),
        exitCode: exec?.exitCode ?? (outcome.ok ? 0 : null),
        durationMs: exec?.durationMs ?? options.now() - startedMs,
        retryInMs,
        // A long stderr's end is where a failing agent says why.
        stderrTail: outcome.ok || exec === undefined
          ? []
          : stderrTail(exec.stderrTruncated ? exec.stderrEnd : exec.stderr),
      });
      return outcome;
    },
    retryDelayMs(attempt) {
      const queue = planned.get(attempt);
      const next = queue?.shift();
      if (queue !== undefined && queue.length === 0) planned.delete(attempt);
      return next ?? options.retryDelayMs(attempt);
    },
    noteExec(report) {
      execReports.set(attemptKey(report.route, report.key, report.attempt), report);
    },
    running: () => [...running],
  };
}

function describeFailure(error: string, exec: ExecReport | undefined): string {
  if (exec?.exitCode !== null && exec?.exitCode !== undefined && !exec.timedOut) {
    return `exit ${exec.exitCode}`;
  }
  return error.replace(/^exit code /, "exit ");
}

/**
 * `serve --exec CMD`: the handler that hands one verified event to the
 * operator's command. The payload goes in on stdin, byte for byte; it is never
 * put on a command line. The environment is built from nothing (exec_env.ts);
 * the user and the containment come from the start-up checks (exec_preflight.ts).
 * A non-zero exit or a timeout is a failed attempt (`execOutcome`); the wait before
 * the next one is `execRetryDelayMs`, and the store settles the attempt (retry or dead
 * letter: `settledStatus`, lib/store/event_store.ts).
 */
import type { HandlerContext, HandlerOutcome, StoredEvent } from "../store/mod.ts";
import { fail, ok, type Result } from "../util/mod.ts";
import { createRedactor, redactBytesCutAtStart, redactBytesThenTruncate } from "../redact/mod.ts";
import { eventEnv, planExecEnv } from "./exec_env.ts";
import type { Launch } from "./launcher.ts";
import { type CapturedOutput, type ExecResult, runExec } from "./run_exec.ts";

export const DEFAULT_EXEC_TIMEOUT_MS = 60_000;
export const DEFAULT_EXEC_ATTEMPTS = 5;
export const DEFAULT_EXEC_CONCURRENCY = 1;
/** Per stream and per attempt: enough for a diagnosis, too little to flood the trace. */
export const DEFAULT_EXEC_OUTPUT_BYTES = 16 * 1024;
/** Of stderr cut at that cap, its last bytes too: a failing agent says why at the end. */
export const EXEC_STDERR_END_BYTES = 4 * 1024;

/** What one hand-off produced, for the trace (which redacts it). */
export interface ExecReport {
  route: string;
  key: string;
  id: string | null;
  attempt: number;
  ok: boolean;
  /** The HandlerOutcome error, or null on success. */
  error: string | null;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  stdout: string;
  stderr: string;
  /**
   * When stderr was cut: its end (the last EXEC_STDERR_END_BYTES, from the first line that
   * can hold no piece of what was dropped), redacted; else empty.
   */
  stderrEnd: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
}

export interface ExecHandlerOptions {
  /** The operator's command line, run by `/bin/sh -c`. */
  command: string;
  /** hookgate's environment, the only source of the passed-through variables. */
  env: Record<string, string>;
  /** `--exec-env` names. */
  envAllowlist: readonly string[];
  timeoutMs: number;
  /** Every secret value hookgate knows: none of them may reach the command. */
  secrets: readonly string[];
  /** Per stream; DEFAULT_EXEC_OUTPUT_BYTES when absent. */
  maxOutputBytes?: number;
  cwd?: string;
  /** User and containment (from prepareExecLaunch); util-linux's process group when absent. */
  launch?: Launch;
  /** Aborting kills running commands (their attempt counts as failed). */
  signal?: AbortSignal;
  /** Each attempt's result, for the trace. */
  onOutput?(report: ExecReport): void;
  /** Start-up notices: allowlisted variables that are not passed, and why. */
  warn?(line: string): void;
}

/**
 * The handler `serve --exec` gives to `EventStore.consume`. The environment is
 * decided once, here, so a refused variable is reported at start-up.
 */
export function createExecHandler(
  options: ExecHandlerOptions,
): (event: StoredEvent, context?: HandlerContext) => Promise<HandlerOutcome> {
  const plan = planExecEnv(options.env, {
    allowlist: options.envAllowlist,
    secrets: options.secrets,
  });
  for (const { name, reason } of plan.refused) {
    // Worded so no "NAME: value" pair appears for the redactor to mistake for a secret.
    options.warn?.(`not passing --exec-env ${name} to the command: it ${reason}`);
  }
  for (const note of plan.notes) options.warn?.(note);
  // The agent's user has a home of its own; hookgate's would be unreadable or, worse, readable.
  const home = options.launch?.identity?.home;
  const baseEnv = home === undefined ? plan.env : { ...plan.env, HOME: home };
  // The output is cut at a byte cap: redacted across that cut before the trace sees it.
  const redactor = createRedactor({ secrets: options.secrets });
  const captured = (output: CapturedOutput) =>
    redactBytesThenTruncate(redactor, output.bytes, { inputWasCut: output.truncated }).text;
  return async (event, context) => {
    const signals = [options.signal, context?.signal].filter((s) => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    const result = await runExec(options.command, {
      stdin: event.payload,
      env: { ...baseEnv, ...eventEnv(event) },
      timeoutMs: options.timeoutMs,
      maxOutputBytes: options.maxOutputBytes ?? DEFAULT_EXEC_OUTPUT_BYTES,
      maxStderrEndBytes: EXEC_STDERR_END_BYTES,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.launch === undefined ? {} : { launch: options.launch }),
      ...(signal === undefined ? {} : { signal }),
    });
    const outcome = execOutcome(result, options.timeoutMs);
    options.onOutput?.({
      route: event.route,
      key: event.key,
      id: event.id,
      attempt: event.attempt,
      ok: outcome.ok,
      error: outcome.ok ? null : outcome.error,
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      durationMs: Math.round(result.durationMs),
      stdout: captured(result.stdout),
      stderr: captured(result.stderr),
      stderrEnd: result.stderr.truncated ? redactBytesCutAtStart(redactor, result.stderr.end) : "",
      stdoutTruncated: result.stdout.truncated,
      stderrTruncated: result.stderr.truncated,
    });
    return outcome;
  };
}

/** Exit 0 is done; anything else is a failed attempt, described without the command's output. */
export function execOutcome(result: ExecResult, timeoutMs: number): HandlerOutcome {
  if (result.spawnError !== null) {
    return { ok: false, error: `could not start the command: ${result.spawnError}` };
  }
  if (result.timedOut) {
    return {
      ok: false,
      error: `timed out after ${timeoutMs} ms; everything it started was killed`,
    };
  }
  if (result.aborted) return { ok: false, error: "stopped by shutdown" };
  if (result.exitCode === 0) return { ok: true };
  if (result.exitCode === null) {
    return { ok: false, error: `killed by ${result.signal ?? "a signal"}` };
  }
  return { ok: false, error: `exit code ${result.exitCode}` };
}

export interface RetryDelayOptions {
  /** The first retry waits between baseMs/2 and baseMs. */
  baseMs?: number;
  maxMs?: number;
  /** [0, 1); Math.random by default. */
  random?: () => number;
}

/**
 * The wait before the attempt after failed attempt `attempt` (1-based):
 * exponential, with "equal jitter" (half fixed, half random) so retries of
 * many events spread out while each next delay is never shorter than the last.
 */
export function execRetryDelayMs(attempt: number, options: RetryDelayOptions = {}): number {
  const baseMs = options.baseMs ?? 1_000;
  const maxMs = options.maxMs ?? 5 * 60_000;
  const random = options.random ?? Math.random;
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceilingMs = Math.min(maxMs, baseMs * 2 ** exponent);
  return Math.round(ceilingMs / 2 + random() * (ceilingMs / 2));
}

/**
 * `Deno.kill` of a process group needs the unrestricted run permission
 * (`--allow-run`, not `--allow-run=/bin/sh`); without it a timeout could not
 * reach the command's children. Checked at start-up so `serve --exec` refuses
 * to run rather than leave hung agents behind.
 */
export function checkExecPermissions(): Result<void> {
  const shell = Deno.permissions.querySync({ name: "run", command: "/bin/sh" }).state;
  const all = Deno.permissions.querySync({ name: "run" }).state;
  if (shell === "granted" && all === "granted") return ok(undefined);
  return fail(
    "--exec needs Deno's unrestricted run permission (--allow-run, not --allow-run=/bin/sh): " +
      "it runs /bin/sh and must be able to kill the command's whole process group at the timeout",
  );
}

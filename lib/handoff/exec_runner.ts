/**
 * `serve --exec CMD`: hands one verified event to the operator's command.
 *
 * The payload goes in on stdin, byte for byte; it is never put on a command
 * line. The command sees only PATH, HOME, LANG, the operator's `--exec-env`
 * allowlist and the HOOKGATE_EVENT_* variables: never a secret hookgate knows,
 * even when allowlisted. It runs in its own session (process group), so a
 * timeout kills everything it started, grandchildren included.
 */
import { concatBytes, fail, ok, type Result } from "../util/mod.ts";
import type { HandlerContext, HandlerOutcome, StoredEvent } from "../store/mod.ts";
import { createRedactor, redactBytesThenTruncate } from "../redact/mod.ts";

export const DEFAULT_EXEC_TIMEOUT_MS = 60_000;
export const DEFAULT_EXEC_ATTEMPTS = 5;
export const DEFAULT_EXEC_CONCURRENCY = 1;
/** Per stream and per attempt: enough for a diagnosis, too little to flood the trace. */
export const DEFAULT_EXEC_OUTPUT_BYTES = 16 * 1024;
/** Always passed through when set: a command needs them to find programs and speak a locale. */
export const BASE_EXEC_ENV = ["PATH", "HOME", "LANG"] as const;
/** Set by hookgate for each event; an allowlist cannot override them. */
export const EVENT_ENV = [
  "HOOKGATE_EVENT_ID",
  "HOOKGATE_EVENT_KEY",
  "HOOKGATE_EVENT_ROUTE",
  "HOOKGATE_ATTEMPT",
  "HOOKGATE_RECEIVED_AT",
] as const;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Shorter secrets would be found inside unrelated values by chance. */
const MIN_CONTAINED_SECRET_CHARS = 8;
/** After the process group is gone, how long its pipes may take to drain. */
const DRAIN_GRACE_MS = 2_000;
/** Between SIGTERM to the group and SIGKILL to whatever ignored it. */
const KILL_GRACE_MS = 2_000;

export interface ExecEnvPlan {
  /** The variables every run gets (before the per-event ones). */
  env: Record<string, string>;
  /** Allowlisted names that were not passed, each with the reason (for stderr at start-up). */
  refused: { name: string; reason: string }[];
}

export interface PlanExecEnvOptions {
  /** `--exec-env NAME` values. */
  allowlist: readonly string[];
  /** Every secret value hookgate knows (webhook secrets, previous ones, the token key …). */
  secrets: readonly string[];
}

/**
 * Which of hookgate's variables the command may see. Pure: `env` is hookgate's
 * own environment (.env overlaid by the real one).
 */
export function planExecEnv(
  env: Record<string, string>,
  options: PlanExecEnvOptions,
): ExecEnvPlan {
  const plan: ExecEnvPlan = { env: {}, refused: [] };
  const names = [...new Set([...BASE_EXEC_ENV, ...options.allowlist])];
  for (const name of names) {
    const allowlisted = options.allowlist.includes(name);
    const value = env[name];
    if (!ENV_NAME.test(name)) {
      plan.refused.push({ name, reason: "is not a valid variable name" });
    } else if ((EVENT_ENV as readonly string[]).includes(name)) {
      plan.refused.push({ name, reason: "is set by hookgate for each event" });
    } else if (value === undefined) {
      if (allowlisted) plan.refused.push({ name, reason: "is not set" });
    } else if (holdsSecret(value, options.secrets)) {
      plan.refused.push({
        name,
        reason: "holds a secret hookgate knows; secrets never reach the agent's environment",
      });
    } else {
      plan.env[name] = value;
    }
  }
  return plan;
}

function holdsSecret(value: string, secrets: readonly string[]): boolean {
  return secrets.some((secret) =>
    secret !== "" &&
    (value === secret || (secret.length >= MIN_CONTAINED_SECRET_CHARS && value.includes(secret)))
  );
}

/** The per-event variables. An environment value cannot hold NUL, so it is replaced. */
export function eventEnv(event: StoredEvent): Record<string, string> {
  const clean = (text: string) => text.replaceAll("\0", "\uFFFD");
  return {
    HOOKGATE_EVENT_ID: clean(event.id ?? ""),
    HOOKGATE_EVENT_KEY: clean(event.key),
    HOOKGATE_EVENT_ROUTE: clean(event.route),
    HOOKGATE_ATTEMPT: String(event.attempt),
    HOOKGATE_RECEIVED_AT: new Date(event.receivedAtMs).toISOString(),
  };
}

export interface RunExecOptions {
  /** Bytes for the command's stdin. */
  stdin: Uint8Array;
  /** The WHOLE environment of the command (nothing is inherited). */
  env: Record<string, string>;
  timeoutMs: number;
  /** Kept per stream; the rest is read and dropped so the command never blocks on a full pipe. */
  maxOutputBytes: number;
  cwd?: string;
  /** Aborting (shutdown) kills the process group like a timeout does. */
  signal?: AbortSignal;
}

export interface CapturedOutput {
  bytes: Uint8Array;
  totalBytes: number;
  truncated: boolean;
}

export interface ExecResult {
  /** null when the command was killed by a signal or could not start. */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
  /** Why the command could not be started at all, else null. */
  spawnError: string | null;
  durationMs: number;
  stdout: CapturedOutput;
  stderr: CapturedOutput;
}

const EMPTY_OUTPUT: CapturedOutput = { bytes: new Uint8Array(), totalBytes: 0, truncated: false };

/** Runs `/bin/sh -c command` once in a new session, and reaps its whole process group. */
export async function runExec(command: string, options: RunExecOptions): Promise<ExecResult> {
  const startedMs = performance.now();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("/bin/sh", {
      args: ["-c", command],
      clearEnv: true,
      env: options.env,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      // setsid(): the shell leads a new process group, so -pid reaches its descendants.
      detached: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    return {
      exitCode: null,
      signal: null,
      timedOut: false,
      aborted: false,
      spawnError: error instanceof Error ? error.message : String(error),
      durationMs: performance.now() - startedMs,
      stdout: EMPTY_OUTPUT,
      stderr: EMPTY_OUTPUT,
    };
  }
  const stdout = capture(child.stdout, options.maxOutputBytes);
  const stderr = capture(child.stderr, options.maxOutputBytes);
  const feeding = feed(child.stdin, options.stdin);

  let timedOut = false;
  let aborted = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    killGroup(child, "SIGTERM");
    killTimer = setTimeout(() => killGroup(child, "SIGKILL"), KILL_GRACE_MS);
  };
  const timeoutTimer = setTimeout(() => {
    timedOut = true;
    stop();
  }, options.timeoutMs);
  const onAbort = () => {
    aborted = true;
    stop();
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  const status = await child.status;
  clearTimeout(timeoutTimer);
  clearTimeout(killTimer);
  options.signal?.removeEventListener("abort", onAbort);
  // Whatever the shell left behind (background jobs) would hold the pipes open
  // and outlive the attempt: the group goes with its leader.
  killGroup(child, "SIGKILL");
  const [out, err] = await Promise.all([
    stdout.done(DRAIN_GRACE_MS),
    stderr.done(DRAIN_GRACE_MS),
    feeding.done(DRAIN_GRACE_MS),
  ]);
  return {
    exitCode: status.signal === null ? status.code : null,
    signal: status.signal,
    timedOut,
    aborted,
    spawnError: null,
    durationMs: performance.now() - startedMs,
    stdout: out,
    stderr: err,
  };
}

function killGroup(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    Deno.kill(-child.pid, signal);
  } catch (error) {
    // NotFound (ESRCH): the group is already gone. Anything else (Deno.kill needs the
    // unrestricted run permission, see checkExecPermissions) still stops the shell itself.
    if (error instanceof Deno.errors.NotFound) return;
    try {
      child.kill(signal);
    } catch {
      // Already exited.
    }
  }
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

/** Writes the payload; a command that exits without reading it is not an error of ours. */
function feed(stdin: WritableStream<Uint8Array>, bytes: Uint8Array) {
  const writer = stdin.getWriter();
  const writing = (async () => {
    try {
      await writer.write(bytes);
      await writer.close();
    } catch {
      // BrokenPipe: the command closed stdin or exited.
    }
  })();
  return {
    /** Resolves once written, or after `graceMs` (a descendant escaped the group and holds stdin). */
    async done(graceMs: number): Promise<void> {
      if (await settlesWithin(writing, graceMs)) return;
      // Not awaited: abort() waits for the blocked write, which ends only when the
      // escaped process dies. The write is abandoned; its error is already caught.
      void writer.abort().catch(() => {});
    },
  };
}

async function settlesWithin(promise: Promise<unknown>, graceMs: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), graceMs);
  });
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

function capture(stream: ReadableStream<Uint8Array>, capBytes: number) {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let total = 0;
  const reading = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        total += value.length;
        if (kept < capBytes) {
          const part = value.slice(0, capBytes - kept);
          chunks.push(part);
          kept += part.length;
        }
      }
    } catch {
      // Cancelled below, or the pipe broke: keep what arrived.
    }
  })();
  return {
    /** Resolves once the pipe closes, or after `graceMs` (a descendant escaped the group). */
    async done(graceMs: number): Promise<CapturedOutput> {
      if (!(await settlesWithin(reading, graceMs))) {
        await reader.cancel().catch(() => {});
        await reading;
      }
      return { bytes: concatBytes(...chunks), totalBytes: total, truncated: total > capBytes };
    },
  };
}

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
  // The output is cut at a byte cap: redacted across that cut before the trace sees it.
  const redactor = createRedactor({ secrets: options.secrets });
  const captured = (output: CapturedOutput) =>
    redactBytesThenTruncate(redactor, output.bytes, { inputWasCut: output.truncated }).text;
  return async (event, context) => {
    const signal = options.signal ?? context?.signal;
    const result = await runExec(options.command, {
      stdin: event.payload,
      env: { ...plan.env, ...eventEnv(event) },
      timeoutMs: options.timeoutMs,
      maxOutputBytes: options.maxOutputBytes ?? DEFAULT_EXEC_OUTPUT_BYTES,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
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
      stdoutTruncated: result.stdout.truncated,
      stderrTruncated: result.stderr.truncated,
    });
    return outcome;
  };
}

/** Exit 0 is done; anything else is a failed attempt, described without the command's output. */
export function execOutcome(result: ExecResult, timeoutMs: number): HandlerOutcome {
  if (result.spawnError !== null) {
    return { ok: false, error: `could not start /bin/sh: ${result.spawnError}` };
  }
  if (result.timedOut) {
    return { ok: false, error: `timed out after ${timeoutMs} ms; its process group was killed` };
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

/**
 * Runs one `/bin/sh -c command` inside its containment (launcher.ts), feeds it
 * the payload, captures its output, and makes sure nothing it started outlives
 * the attempt: at the timeout, on abort, and when it ends leaving jobs behind.
 */
import { DEFAULT_LAUNCH, type Launch, launchCommand } from "./launcher.ts";
import { capture, type CapturedOutput, EMPTY_OUTPUT, feed } from "./pipes.ts";

/** After the containment is gone, how long its pipes may take to drain. */
const DRAIN_GRACE_MS = 2_000;
/** On abort the caller is stopping: whatever the pipes still hold is not waited for. */
const ABORT_DRAIN_MS = 100;
/** Between SIGTERM to the group and SIGKILL to the whole containment. */
const KILL_GRACE_MS = 2_000;

export interface RunExecOptions {
  /** Bytes for the command's stdin. */
  stdin: Uint8Array;
  /** The WHOLE environment of the command (nothing is inherited). */
  env: Record<string, string>;
  timeoutMs: number;
  /** Kept per stream; the rest is read and dropped so the command never blocks on a full pipe. */
  maxOutputBytes: number;
  /** Of stderr, the last bytes kept past `maxOutputBytes` too (none when absent). */
  maxStderrEndBytes?: number;
  cwd?: string;
  /** User and containment; DEFAULT_LAUNCH when absent. */
  launch?: Launch;
  /** Aborting kills the whole containment at once (no grace) and returns. */
  signal?: AbortSignal;
}

export type { CapturedOutput };

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

/**
 * Closes descriptors 3 to 9, then runs the command (`$0`). Deno marks its own files
 * close-on-exec, but one serve inherited (a wrapper's `.env` held open, a supervisor's
 * socket) would reach the agent, and under `--exec-user` it would read through it what its
 * user may not open. Runs as the agent's user, before any of the agent's own code. A POSIX
 * shell can name only single-digit descriptors in a redirection: higher ones stay open
 * (docs/exec.md says so).
 */
const CLOSE_INHERITED = `if [ -d /proc/self/fd ]; then
  for f in /proc/self/fd/*; do
    n=\${f##*/}
    case $n in [3-9]) eval "exec $n<&-" ;; esac
  done
fi
exec /bin/sh -c "$0"`;

/** Runs `/bin/sh -c command` once in its containment, and reaps everything it started. */
export function runExec(command: string, options: RunExecOptions): Promise<ExecResult> {
  const isolated = (options.launch?.identity ?? null) !== null;
  return runArgv(
    isolated ? ["/bin/sh", "-c", CLOSE_INHERITED, command] : ["/bin/sh", "-c", command],
    options,
  );
}

/** runExec() for any argument vector (the start-up probes run their own script). */
export async function runArgv(
  argv: readonly string[],
  options: RunExecOptions,
): Promise<ExecResult> {
  const startedMs = performance.now();
  const launched = launchCommand(options.launch ?? DEFAULT_LAUNCH, argv);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(launched.program, {
      args: launched.args,
      clearEnv: true,
      env: options.env,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      detached: launched.detached,
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
  const stderr = capture(child.stderr, options.maxOutputBytes, options.maxStderrEndBytes);
  const feeding = feed(child.stdin, options.stdin);

  let timedOut = false;
  let aborted = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const timeoutTimer = setTimeout(() => {
    timedOut = true;
    // The group first gets a chance to stop cleanly; then the whole containment goes.
    killGroup(child, "SIGTERM");
    killTimer = setTimeout(() => killGroup(child, "SIGKILL"), KILL_GRACE_MS);
  }, options.timeoutMs);
  const onAbort = () => {
    aborted = true;
    killGroup(child, "SIGKILL");
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  const status = await child.status;
  clearTimeout(timeoutTimer);
  clearTimeout(killTimer);
  options.signal?.removeEventListener("abort", onAbort);
  // Whatever the shell left behind (background jobs) would hold the pipes open
  // and outlive the attempt: the group goes with its leader. (In a PID
  // namespace the kernel has already killed them when the shell, its init, ended.)
  killGroup(child, "SIGKILL");
  const graceMs = aborted ? ABORT_DRAIN_MS : DRAIN_GRACE_MS;
  const [out, err] = await Promise.all([
    stdout.done(graceMs),
    stderr.done(graceMs),
    feeding.done(graceMs),
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

/**
 * Signals the launcher's process group. SIGKILL to the launcher ends a PID
 * namespace at once: its init dies of the parent-death signal and the kernel
 * kills every process left in it.
 */
function killGroup(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    Deno.kill(-child.pid, signal);
    return;
  } catch {
    // No such group (setsid has not run yet, or all of it is gone), or the group kill
    // was denied (it needs the unrestricted run permission, see checkExecPermissions):
    // the launcher itself still gets the signal.
  }
  try {
    child.kill(signal);
  } catch {
    // Already exited.
  }
}

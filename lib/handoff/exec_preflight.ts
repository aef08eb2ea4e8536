/**
 * What `serve --exec` checks before it accepts anything: the user the agent
 * runs as (it must be able to switch: exit 77), the best containment this
 * machine allows, the agent's own working directory, and that the program
 * exists and is executable by that user (exit 78). Every check runs through the
 * same launcher the agents use, so what passes here is what the agent gets.
 */
import { fail, ok, type Result } from "../util/mod.ts";
import {
  type AgentIdentity,
  type Containment,
  describeContainment,
  type Launch,
  parsePasswdLine,
} from "./launcher.ts";
import { resolveProgram } from "./program.ts";
import { runArgv } from "./run_exec.ts";

export interface PrepareExecOptions {
  /** The command line as given to --exec. */
  command: string;
  /** --exec-user, or null. */
  user: string | null;
  /** --exec-cwd, or null for a directory of the agent's own under `dataDir`. */
  cwd: string | null;
  dataDir: string;
  /** The directory serve was started in: relative paths mean it. */
  startDir: string;
  /** The PATH the agent gets. */
  path: string;
  /** Deno.build.os by default. */
  os?: string;
}

export interface ExecLaunchPlan {
  /** The command line, its relative program path made absolute. */
  command: string;
  launch: Launch;
  cwd: string;
  /** Said once on stderr at start-up: what the agent runs as, and any weakness. */
  notices: string[];
}

export interface PreflightFailure {
  /** denied: cannot switch to the user (77); config: a bad setting (78); unavailable: 69. */
  kind: "denied" | "config" | "unavailable";
  message: string;
}

const PROBE_TIMEOUT_MS = 10_000;

/** Runs `argv` as the agent would be run: its exit code (null: it could not start) and why. */
async function probe(
  launch: Launch,
  argv: string[],
  options: { path: string; cwd?: string },
): Promise<{ code: number | null; reason: string | null }> {
  const result = await runArgv(argv, {
    stdin: new Uint8Array(),
    env: { PATH: options.path },
    timeoutMs: PROBE_TIMEOUT_MS,
    maxOutputBytes: 2048,
    launch,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  if (result.spawnError !== null) return { code: null, reason: result.spawnError };
  const said = new TextDecoder().decode(result.stderr.bytes).trim().split("\n")[0] ?? "";
  if (result.exitCode === 0) return { code: 0, reason: null };
  return {
    code: result.exitCode,
    reason: said !== "" ? said : `exit ${result.exitCode ?? result.signal ?? "unknown"}`,
  };
}

async function output(program: string, args: string[]): Promise<string | null> {
  try {
    const result = await new Deno.Command(program, { args, stdout: "piped", stderr: "null" })
      .output();
    return result.success ? new TextDecoder().decode(result.stdout).trim() : null;
  } catch {
    return null;
  }
}

async function resolveUser(user: string): Promise<Result<AgentIdentity, PreflightFailure>> {
  const line = await output("getent", ["passwd", user]);
  const identity = line === null ? null : parsePasswdLine(line.split("\n")[0] ?? "");
  if (identity === null) {
    return fail({
      kind: "config",
      message: `--exec-user ${user}: no such user; create one for the agent ` +
        `(useradd --system --no-create-home ${user}) or name an existing one`,
    });
  }
  return ok(identity);
}

const IN_NAMESPACE = ["/bin/sh", "-c", 'test "$$" = 1'];

/** The strongest containment that works here, and why a weaker one was taken. */
async function chooseContainment(
  identity: AgentIdentity | null,
  path: string,
): Promise<{ containment: Containment; fallbackReason: string | null }> {
  const own = await probe({ containment: "pid-namespace", identity }, IN_NAMESPACE, { path });
  if (own.code === 0) return { containment: "pid-namespace", fallbackReason: null };
  if (identity === null) {
    const user = await probe({ containment: "user-pid-namespace", identity }, IN_NAMESPACE, {
      path,
    });
    if (user.code === 0) return { containment: "user-pid-namespace", fallbackReason: null };
  }
  return { containment: "process-group", fallbackReason: own.reason ?? "unshare failed" };
}

async function prepareCwd(
  options: PrepareExecOptions,
  identity: AgentIdentity | null,
): Promise<Result<string, PreflightFailure>> {
  if (options.cwd !== null) {
    return ok(options.cwd.startsWith("/") ? options.cwd : `${options.startDir}/${options.cwd}`);
  }
  const dir = `${options.dataDir.startsWith("/") ? "" : `${options.startDir}/`}${options.dataDir}` +
    "/agent";
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await Deno.chmod(dir, 0o700);
    if (identity !== null) await Deno.chown(dir, identity.uid, identity.gid);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    return fail({
      kind: "config",
      message: `cannot prepare the agent's working directory ${dir}: ${reason}; ` +
        `fix its permissions or pick one with --exec-cwd DIR`,
    });
  }
  return ok(dir);
}

const PROGRAM_CHECK = `[ -x . ] || exit 9
w=$1
[ -n "$w" ] || exit 0
case $w in
  */*) [ -e "$w" ] || exit 10; [ -d "$w" ] && exit 12; [ -x "$w" ] || exit 11 ;;
  *) command -v -- "$w" >/dev/null 2>&1 || { [ -f "$2/$w" ] && exit 14; exit 13; } ;;
esac`;

function programProblem(
  code: number | null,
  reason: string | null,
  context: { program: string; cwd: string; path: string; who: string; as: string },
): PreflightFailure {
  const { program, cwd, path, who, as } = context;
  const message = code === 9
    ? `the agent${as} cannot enter its working directory ${cwd}: give ${who} access to it ` +
      `or pick another with --exec-cwd DIR`
    : code === 10
    ? `--exec: ${program} does not exist${as}` +
      (as === "" ? "" : ` (${who} needs execute permission on every directory above it)`)
    : code === 11
    ? `--exec: ${program} is not executable${as} (chmod +x ${program})`
    : code === 12
    ? `--exec: ${program} is a directory, not a program`
    : code === 14
    ? `--exec: ${program} is not found on the agent's PATH; the ${program} in serve's ` +
      `directory is named with its path: --exec ./${program}`
    : code === 13
    ? `--exec: ${program} is not found on the agent's PATH (${path}); give its full path`
    : `the agent's working directory ${cwd} cannot be used: ${reason ?? "unknown error"} ` +
      `(see --exec-cwd)`;
  return { kind: "config", message };
}

/** Every start-up check of --exec, in order; the first failure stops serve. */
export async function prepareExecLaunch(
  options: PrepareExecOptions,
): Promise<Result<ExecLaunchPlan, PreflightFailure>> {
  const os = options.os ?? Deno.build.os;
  const notices: string[] = [];
  let identity: AgentIdentity | null = null;
  if (options.user !== null) {
    if (os !== "linux") {
      return fail({ kind: "denied", message: "--exec-user needs Linux (util-linux's setpriv)" });
    }
    const resolved = await resolveUser(options.user);
    if (!resolved.ok) return resolved;
    identity = resolved.value;
  }
  let launch: Launch;
  if (os !== "linux") {
    launch = { containment: "session", identity: null };
  } else {
    const plain = await probe({ containment: "process-group", identity: null }, ["true"], {
      path: options.path,
    });
    if (plain.code !== 0) {
      return fail({
        kind: "unavailable",
        message: `--exec needs util-linux's setsid and setpriv (apt-get install util-linux): ` +
          `${plain.reason}`,
      });
    }
    if (identity !== null) {
      const switched = await probe({ containment: "process-group", identity }, ["true"], {
        path: options.path,
      });
      if (switched.code !== 0) {
        return fail({
          kind: "denied",
          message: `cannot run the agent as ${identity.name} (uid ${identity.uid}): ` +
            `${switched.reason}; switching users needs serve started as root ` +
            `(or with CAP_SETUID and CAP_SETGID), or drop --exec-user`,
        });
      }
    }
    const chosen = await chooseContainment(identity, options.path);
    launch = { containment: chosen.containment, identity };
    if (chosen.fallbackReason !== null) {
      notices.push(
        `warning: no PID namespace for the agent here (${chosen.fallbackReason}): it is ` +
          `contained by ${describeContainment(chosen.containment)}; run serve as root, or ` +
          `where unprivileged user namespaces are allowed, to contain it fully (docs/exec.md)`,
      );
    }
  }
  const cwd = await prepareCwd(options, identity);
  if (!cwd.ok) return cwd;
  const resolved = resolveProgram(options.command, options.startDir);
  const check = await probe(
    launch,
    // Serve's directory too: a bare name that is a file there (agent.sh) wants its path.
    ["/bin/sh", "-c", PROGRAM_CHECK, "sh", resolved.program ?? "", options.startDir],
    { path: options.path, cwd: cwd.value },
  );
  if (check.code !== 0) {
    const who = identity === null ? "hookgate's user" : `user ${identity.name}`;
    return fail(programProblem(check.code, check.reason, {
      program: resolved.program ?? options.command,
      cwd: cwd.value,
      path: options.path,
      who,
      as: identity === null ? "" : ` for user ${identity.name}`,
    }));
  }
  const hookgateUid = Number(await output("id", ["-u"]) ?? NaN);
  const runsAs = identity === null ? "hookgate's own user" : `user ${identity.name}`;
  notices.unshift(
    `--exec: the agent runs as ${runsAs} in ${cwd.value}, contained by ` +
      describeContainment(launch.containment),
  );
  if (identity === null || identity.uid === hookgateUid) {
    const uid = Number.isNaN(hookgateUid) ? "" : ` (uid ${hookgateUid})`;
    notices.push(
      `warning: the agent runs as the same user as hookgate${uid}, so it can read ` +
        `hookgate's secrets (.env, /proc/<pid>/environ); to stop that, start serve as root ` +
        `with --exec-user USER, a user that cannot read .env (docs/exec.md)`,
    );
  }
  return ok({ command: resolved.command, launch, cwd: cwd.value, notices });
}

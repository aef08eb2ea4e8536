/**
 * `serve`'s `--exec*` flags: their parseArgs definitions (spread into serve's
 * FLAGS), their help, and the start-up checks' exit codes. The settings are
 * checked in lib/handoff/exec_settings.ts.
 */
import {
  checkExecPermissions,
  type ExecLaunchPlan,
  type ExecSettings,
  prepareExecLaunch,
} from "../handoff/mod.ts";
import { CliError } from "./cli_error.ts";
import type { CommandContext } from "./command.ts";
import { ExitCode } from "./exit_codes.ts";
import { valueFlags } from "./args.ts";

/** The flags' checks, offered beside the flags (they live with the hand-off). */
export { type ExecSettings, MAX_EXEC_ATTEMPTS, parseExecSettings } from "../handoff/mod.ts";

export const EXEC_FLAGS = {
  ...valueFlags(
    "exec",
    "exec-timeout",
    "exec-attempts",
    "exec-concurrency",
    "exec-user",
    "exec-cwd",
  ),
  "exec-env": { type: "string", multiple: true },
} as const;

export const EXEC_HELP =
  `  --exec CMD           hand each accepted event to CMD (run by /bin/sh -c) with
                       the raw payload on stdin; exit 0 = done (default: print
                       one JSON line per event on stdout)
  --exec-env NAME      pass NAME from hookgate's environment to CMD, repeatable
                       (CMD gets only PATH, HOME, LANG, these and HOOKGATE_*;
                       a variable holding a secret hookgate knows is refused)
  --exec-timeout DUR   kill CMD and all it started after DUR (default 60s)
  --exec-attempts N    attempts before an event becomes a dead letter (default 5)
  --exec-concurrency N events handed off at once (default 1)
  --exec-user USER     run CMD as USER (its uid and gid, no other groups), so it
                       cannot read hookgate's secrets; serve must start as root
                       (also HOOKGATE_EXEC_USER; default: hookgate's own user)
  --exec-cwd DIR       CMD's working directory (default: DATA_DIR/agent, its own);
                       a relative program path in CMD means serve's directory`;

/**
 * --exec's start-up checks (none without --exec): a denied user switch is 77,
 * a missing program or bad setting 78. The settings come back with what the
 * checks found: the program's absolute path, the user and the containment, the cwd.
 */
export async function prepareExec(
  exec: ExecSettings | null,
  dataDir: string,
  context: CommandContext,
): Promise<(Omit<ExecSettings, "cwd"> & ExecLaunchPlan) | null> {
  if (exec === null) return null;
  const permitted = checkExecPermissions();
  if (!permitted.ok) throw new CliError(ExitCode.denied, permitted.reason);
  const prepared = await prepareExecLaunch({
    command: exec.command,
    user: exec.user,
    cwd: exec.cwd,
    dataDir,
    startDir: context.cwd,
    path: context.env.PATH ?? "/usr/bin:/bin",
  });
  if (!prepared.ok) {
    const { kind, message } = prepared.reason;
    const code = kind === "denied"
      ? ExitCode.denied
      : kind === "unavailable"
      ? ExitCode.unavailable
      : ExitCode.config;
    throw new CliError(code, message);
  }
  for (const notice of prepared.value.notices) context.output.err(`hookgate: ${notice}`);
  return { ...exec, ...prepared.value };
}

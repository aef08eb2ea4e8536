/**
 * How an agent process is started: which user it runs as, and what contains it.
 * Pure: builds the argument vector; probing what the machine allows is in
 * exec_preflight.ts.
 *
 * Every containment but "session" goes through util-linux: `setsid` (a process
 * group of its own, so a timeout reaches the whole group) and `setpriv
 * --pdeathsig KILL` (the kernel kills the launcher the moment hookgate dies,
 * however it dies). With a PID namespace (`unshare --pid --fork --kill-child`)
 * the agent's shell is the namespace's init: when it ends, or the launcher is
 * killed, the kernel kills every process in the namespace, including one that
 * left the process group with `setsid cmd &`.
 *
 * The session is made by the `setsid` program rather than Deno's `detached`:
 * `detached` makes Deno fork() the whole runtime on its JS thread, where a
 * plain spawn uses posix_spawn, many times cheaper for the receive path that
 * shares that thread.
 */

export type Containment =
  /** Root (or CAP_SYS_ADMIN): a PID namespace of the agent's own. */
  | "pid-namespace"
  /** Unprivileged, where user namespaces are allowed: a user namespace holding a PID namespace. */
  | "user-pid-namespace"
  /** No namespaces allowed: the process group, and the parent-death signal on its leader. */
  | "process-group"
  /** No util-linux (not Linux): a session made by Deno, no parent-death signal. */
  | "session";

/** The account an agent runs as (`--exec-user`). */
export interface AgentIdentity {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface Launch {
  containment: Containment;
  /** null: the agent runs as hookgate's own user. */
  identity: AgentIdentity | null;
}

export interface LaunchCommand {
  program: string;
  args: string[];
  /** Whether Deno must make the session itself (only "session"). */
  detached: boolean;
}

/** The containment direct runExec() callers get: no probe needed, works wherever util-linux is. */
export const DEFAULT_LAUNCH: Launch = { containment: "process-group", identity: null };

/**
 * `setpriv` options that drop to `identity`: its uid and gid, no supplementary
 * groups, and no way back up through a setuid program (no_new_privs).
 */
function switchUser(identity: AgentIdentity | null): string[] {
  if (identity === null) return [];
  return [
    "--reuid",
    String(identity.uid),
    "--regid",
    String(identity.gid),
    "--clear-groups",
    "--no-new-privs",
  ];
}

/** The process to spawn so that `argv` runs as `launch` says. */
export function launchCommand(launch: Launch, argv: readonly string[]): LaunchCommand {
  const [program, ...rest] = argv;
  if (program === undefined) throw new TypeError("launchCommand() needs a program");
  const guarded = (inner: string[]): LaunchCommand => ({
    program: "setsid",
    args: ["--", "setpriv", "--pdeathsig", "KILL", "--", ...inner],
    detached: false,
  });
  switch (launch.containment) {
    case "pid-namespace":
      // The user switch happens inside, as the namespace's init; setpriv sets the
      // parent-death signal again after it (the kernel clears it on a uid change).
      return guarded([
        "unshare",
        "--pid",
        "--fork",
        "--kill-child",
        "--",
        ...(launch.identity === null
          ? []
          : ["setpriv", ...switchUser(launch.identity), "--pdeathsig", "KILL", "--"]),
        ...argv,
      ]);
    case "user-pid-namespace":
      if (launch.identity !== null) {
        throw new TypeError("a user namespace cannot switch to another user");
      }
      return guarded([
        "unshare",
        "--user",
        "--map-current-user",
        "--pid",
        "--fork",
        "--kill-child",
        "--",
        ...argv,
      ]);
    case "process-group":
      return {
        program: "setsid",
        args: [
          "--",
          "setpriv",
          ...switchUser(launch.identity),
          "--pdeathsig",
          "KILL",
          "--",
          ...argv,
        ],
        detached: false,
      };
    case "session":
      if (launch.identity !== null) {
        throw new TypeError("--exec-user needs util-linux's setpriv");
      }
      return { program, args: rest, detached: true };
  }
}

/** One `getent passwd` line (name:password:uid:gid:gecos:home:shell), or null. */
export function parsePasswdLine(line: string): AgentIdentity | null {
  const fields = line.trim().split(":");
  if (fields.length < 7) return null;
  const [name, , uid, gid, , home] = fields;
  if (!name || !/^[0-9]+$/.test(uid ?? "") || !/^[0-9]+$/.test(gid ?? "")) return null;
  return { name, uid: Number(uid), gid: Number(gid), home: home || "/" };
}

/** What the containment promises, for the start-up line and the docs. */
export function describeContainment(containment: Containment): string {
  switch (containment) {
    case "pid-namespace":
    case "user-pid-namespace":
      return "a PID namespace of its own (nothing it starts outlives the timeout or serve)";
    case "process-group":
      return "its process group (a process that calls setsid escapes the timeout)";
    case "session":
      return "its session (no parent-death signal: agents may outlive a killed serve)";
  }
}

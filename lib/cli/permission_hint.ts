/**
 * A permission denial in words a hookgate user can act on. Deno's own message
 * ends "run again with the --allow-write flag", which an installed `hookgate`
 * user cannot do: each command narrows itself to its task's permissions at
 * start. So the hint names what the command may touch instead.
 */
import { commandTasks, parsePermissionFlags, type PermissionKind } from "../setup/mod.ts";

const VERBS: Partial<Record<PermissionKind, string>> = {
  read: "read",
  write: "write",
  net: "reach",
  run: "run",
};

export function permissionDeniedMessage(command: string | undefined, message: string): string {
  const base = message.replace(/,? run again with the --allow-[a-z]+ flag\.?$/, "");
  const kind = /^Requires ([a-z]+) access/.exec(base)?.[1] as PermissionKind | undefined;
  const task = command === undefined ? undefined : commandTasks()[command];
  if (kind === undefined || task === undefined) return base;
  const grant = parsePermissionFlags(task)[kind];
  const verb = VERBS[kind] ?? `use ${kind} for`;
  const allowed = grant === undefined
    ? "nothing"
    : grant === "all"
    ? "anything"
    : `only ${grant.join(", ")}`;
  return `${base}: hookgate ${command} may ${verb} ${allowed} (paths relative to the working ` +
    "directory; see docs/permissions.md)";
}

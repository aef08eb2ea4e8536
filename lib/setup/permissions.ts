/**
 * Deno permission sets as deno.json's tasks write them, and narrowing a
 * running process to one of them. deno.json is the one source: each task
 * grants its command's flags to `deno run`, the `compile` task grants their
 * union to the binary, and the binary (one process per command) drops what
 * that command's task does not grant. Deno can only take permissions away at
 * run time, never add them, so narrowing is safe to call under any flags.
 */
import denoConfig from "../../deno.json" with { type: "json" };

/** The kinds a task may grant, in the order they are narrowed. */
export const PERMISSION_KINDS = ["read", "write", "net", "env", "run", "sys", "ffi"] as const;
export type PermissionKind = typeof PERMISSION_KINDS[number];

/** "all" for a bare flag (`--allow-net`), else the listed entries (`--allow-net=a,b`). */
export type Grant = "all" | readonly string[];
/** A kind that is absent is not granted. */
export type PermissionSet = Partial<Record<PermissionKind, Grant>>;

const SCRIPT = /\.(?:ts|js|mts|mjs)$/;

/**
 * The permissions a `deno run …` / `deno compile …` command line grants.
 * Flags after the script belong to the program and are ignored; `-A` and
 * `--allow-all` grant every kind.
 */
export function parsePermissionFlags(commandLine: string): PermissionSet {
  const set: PermissionSet = {};
  for (const token of commandLine.trim().split(/\s+/)) {
    if (SCRIPT.test(token) && !token.startsWith("-")) break;
    if (token === "-A" || token === "--allow-all") {
      for (const kind of PERMISSION_KINDS) set[kind] = "all";
      continue;
    }
    const match = /^--allow-([a-z]+)(?:=(.*))?$/.exec(token);
    const kind = match?.[1];
    if (!match || !isKind(kind)) continue;
    const value = match[2];
    set[kind] = value === undefined ? "all" : value.split(",").filter((entry) => entry !== "");
  }
  return set;
}

/** What any of `sets` grants (the binary serves every command). */
export function unionPermissions(sets: readonly PermissionSet[]): PermissionSet {
  const union: PermissionSet = {};
  for (const set of sets) {
    for (const kind of PERMISSION_KINDS) {
      const grant = set[kind];
      if (grant === undefined) continue;
      const current = union[kind];
      if (grant === "all" || current === "all") union[kind] = "all";
      else union[kind] = [...new Set([...(current ?? []), ...grant])];
    }
  }
  return union;
}

export interface NarrowOptions {
  /**
   * What the process was started with (for the binary: the compile task's
   * flags). Listed entries of it that `keep` does not cover are revoked one by
   * one; without it only whole kinds are dropped.
   */
  granted?: PermissionSet;
  /** Kinds to drop although `keep` grants them (`serve` without `--exec` drops "run"). */
  drop?: readonly PermissionKind[];
  /** `Deno.permissions.revoke` by default. */
  revoke?: (descriptor: Deno.PermissionDescriptor) => Promise<unknown>;
}

/**
 * Revokes every kind `keep` does not grant, every listed entry of `granted`
 * that no entry of `keep` covers, and every kind in `drop`. Process-wide and
 * irreversible. A whole-kind grant (`--allow-net`) cannot be cut down to a
 * list: Deno ignores the revocation of one path or host under it.
 * Returns what was revoked, as `kind` or `kind:entry`.
 */
export async function narrowPermissions(
  keep: PermissionSet,
  options: NarrowOptions = {},
): Promise<string[]> {
  const revoke = options.revoke ?? ((descriptor) => Deno.permissions.revoke(descriptor));
  const revoked: string[] = [];
  for (const kind of PERMISSION_KINDS) {
    const kept = keep[kind];
    if (kept === undefined || options.drop?.includes(kind)) {
      await revoke({ name: kind });
      revoked.push(kind);
      continue;
    }
    const granted = options.granted?.[kind];
    if (kept === "all" || granted === undefined || granted === "all") continue;
    for (const entry of granted) {
      // Deno revokes a broader grant together with a narrower one, so an entry
      // that a kept one covers is left alone.
      if (kept.some((keptEntry) => covers(kind, keptEntry, entry))) continue;
      await revoke(descriptorOf(kind, entry));
      revoked.push(`${kind}:${entry}`);
    }
  }
  return revoked;
}

/** The checkout this program runs from (the directory holding deno.json and main.ts). */
export const CHECKOUT_DIR: string = new URL("../../", import.meta.url).pathname;

/**
 * deno.json's tasks that run a hookgate command (`deno run … main.ts <command>`),
 * by command name. Each holds that command's least privilege.
 */
export function commandTasks(): Record<string, string> {
  const tasks: Record<string, string> = denoConfig.tasks;
  return Object.fromEntries(
    Object.entries(tasks).filter(([name, line]) =>
      new RegExp(`^deno run .*\\smain\\.ts ${name}$`).test(line)
    ),
  );
}

/** The `--v8-flags=…` argument of the task that runs `command`, or null when it has none. */
export function taskV8Flags(command: string): string | null {
  return /--v8-flags=\S+/.exec(commandTasks()[command] ?? "")?.[0] ?? null;
}

/**
 * The tasks name the program's own files relative to the checkout
 * (`lib/egress/fetch_worker_entry.ts`) and the user's files relative to the working
 * directory (`.env`, `.hookgate`). Run as a task both are the checkout; the
 * installed `hookgate` runs in the user's project, so the program's own files
 * become absolute paths into the checkout and the rest stays relative.
 */
export function resolveCheckoutEntries(
  set: PermissionSet,
  checkoutDir: string = CHECKOUT_DIR,
): PermissionSet {
  const resolved: PermissionSet = { ...set };
  for (const kind of ["read", "write"] as const) {
    const grant = set[kind];
    if (grant === undefined || grant === "all") continue;
    resolved[kind] = grant.map((entry) =>
      entry.startsWith("lib/") ? `${checkoutDir.replace(/\/*$/, "/")}${entry}` : entry
    );
  }
  return resolved;
}

/**
 * What one process serving every command holds: the union of the command
 * tasks, with the program's own files resolved into the checkout. The
 * installed `hookgate` is started with exactly this (see lib/cli/install.ts);
 * the compiled binary with the same union (the compile task).
 */
export function everyCommandPermissions(checkoutDir: string = CHECKOUT_DIR): PermissionSet {
  return resolveCheckoutEntries(
    unionPermissions(Object.values(commandTasks()).map(parsePermissionFlags)),
    checkoutDir,
  );
}

/**
 * Narrows this process to deno.json's task `name`, within what a process
 * serving every command holds (the installed script and the binary start with
 * that union). A command without a task is left alone. main.ts calls it for
 * every command; `serve` again with `drop: ["run"]` once it knows it runs no
 * --exec program.
 */
export async function narrowToTask(
  name: string,
  options: { drop?: readonly PermissionKind[] } = {},
): Promise<void> {
  const own = commandTasks()[name];
  if (own === undefined) return;
  await narrowPermissions(resolveCheckoutEntries(parsePermissionFlags(own)), {
    granted: everyCommandPermissions(),
    ...(options.drop ? { drop: options.drop } : {}),
  });
}

/** `--allow-KIND[=entries]` flags granting `set`, in PERMISSION_KINDS order. */
export function permissionFlags(set: PermissionSet): string[] {
  return PERMISSION_KINDS.flatMap((kind) => {
    const grant = set[kind];
    if (grant === undefined) return [];
    return [grant === "all" ? `--allow-${kind}` : `--allow-${kind}=${grant.join(",")}`];
  });
}

function isKind(name: string | undefined): name is PermissionKind {
  return (PERMISSION_KINDS as readonly string[]).includes(name ?? "");
}

function covers(kind: PermissionKind, kept: string, entry: string): boolean {
  if (kept === entry) return true;
  if (kind === "read" || kind === "write" || kind === "ffi") {
    const base = kept.replace(/^\.\/+/, "").replace(/\/+$/, "");
    const path = entry.replace(/^\.\/+/, "");
    return base === "." || base === path || path.startsWith(`${base}/`);
  }
  // A host without a port covers every port of it.
  return kind === "net" && !/:[0-9]+$/.test(kept) && entry.startsWith(`${kept}:`);
}

function descriptorOf(kind: PermissionKind, entry: string): Deno.PermissionDescriptor {
  switch (kind) {
    case "read":
    case "write":
    case "ffi":
      return { name: kind, path: entry };
    case "net":
      return { name: "net", host: entry };
    case "env":
      return { name: "env", variable: entry };
    case "run":
      return { name: "run", command: entry };
    case "sys":
      return { name: "sys", kind: entry as NonNullable<Deno.SysPermissionDescriptor["kind"]> };
  }
}

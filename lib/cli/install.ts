/**
 * `deno task install` / `deno task uninstall`: puts `hookgate` on the PATH with
 * `deno install -g`, from this checkout, without the network.
 *
 * One installed script serves every command, so it is started with the union
 * of the command tasks' permissions (never -A), and main.ts narrows the
 * process to the running command's own task before it does anything else.
 * The user's files (`.env`, `.hookgate`, `.gitignore`) stay relative: they
 * resolve in the directory `hookgate` is run from, never in the checkout.
 */
import { everyCommandPermissions, permissionFlags, taskV8Flags } from "../setup/mod.ts";

export const INSTALLED_NAME = "hookgate";

/** The serve task's V8 flags (docs/deploy.md, "Memory"); harmless for the other commands. */
const SERVE_V8_FLAGS = [taskV8Flags("serve")].filter((flag) => flag !== null);

export interface InstallOptions {
  /** The checkout holding deno.json and main.ts, ending in '/'. */
  checkoutDir: string;
  /** `--root DIR` (else deno's default: $DENO_INSTALL_ROOT or ~/.deno). */
  root?: string;
}

/** The arguments to `deno` that install `hookgate` from the checkout. */
export function installArgs(options: InstallOptions): string[] {
  return [
    "install",
    "--global",
    "--force",
    "--quiet",
    "--cached-only",
    "--name",
    INSTALLED_NAME,
    ...(options.root === undefined ? [] : ["--root", options.root]),
    "--config",
    `${options.checkoutDir}deno.json`,
    "--no-prompt",
    ...SERVE_V8_FLAGS,
    ...permissionFlags(everyCommandPermissions(options.checkoutDir)),
    `${options.checkoutDir}main.ts`,
  ];
}

/**
 * Where the installed `hookgate` looks for its lockfile: next to the copy of
 * deno.json that `deno install` keeps in `<bin>/.hookgate/`. Without the
 * checkout's lockfile there, Deno resolves each npm import afresh, which under
 * `--cached-only` needs the registry's package metadata in the cache; a cache
 * filled from the lockfile alone (a fresh machine) holds only the packages, so
 * every command that loads an npm package would fail. With it, the installed
 * command also runs exactly the dependency versions the checkout was tested with.
 */
export function installedLockPath(bin: string): string {
  return `${bin}/.${INSTALLED_NAME}/deno.lock`;
}

/** The arguments to `deno` that remove it again. */
export function uninstallArgs(options: { root?: string }): string[] {
  return [
    "uninstall",
    "--global",
    ...(options.root === undefined ? [] : ["--root", options.root]),
    INSTALLED_NAME,
  ];
}

/** `--root DIR` or `--root=DIR`, the only option both tasks take. */
export function parseInstallArgs(args: string[]): { root?: string } | string {
  if (args.length === 0) return {};
  const [first, second] = args;
  if (first?.startsWith("--root=") && args.length === 1) return { root: first.slice(7) };
  if (first === "--root" && second !== undefined && args.length === 2) return { root: second };
  return `usage: deno task install|uninstall [--root DIR] (got '${args.join(" ")}')`;
}

async function runDeno(args: string[]): Promise<number> {
  const { code } = await new Deno.Command("deno", { args, stdout: "inherit", stderr: "inherit" })
    .output();
  return code;
}

async function mainOf(mode: "install" | "uninstall", args: string[]): Promise<number> {
  const parsed = parseInstallArgs(args);
  if (typeof parsed === "string") {
    console.error(parsed);
    return 64;
  }
  const checkoutDir = new URL("../../", import.meta.url).pathname;
  if (mode === "uninstall") {
    const code = await runDeno(uninstallArgs(parsed));
    if (code === 0) console.error(`removed ${INSTALLED_NAME}`);
    return code === 0 ? 0 : 1;
  }
  const code = await runDeno(installArgs({ checkoutDir, ...parsed }));
  if (code !== 0) {
    console.error(
      `deno install failed (exit ${code}): run 'deno task test' once online so Deno caches ` +
        "the dependencies, then install again",
    );
    return 1;
  }
  const bin = `${
    parsed.root ?? Deno.env.get("DENO_INSTALL_ROOT") ?? `${Deno.env.get("HOME")}/.deno`
  }/bin`;
  await Deno.copyFile(`${checkoutDir}deno.lock`, installedLockPath(bin));
  console.error(
    `installed ${INSTALLED_NAME} in ${bin} (it runs this checkout: ${checkoutDir})\n` +
      `next: make sure ${bin} is on your PATH, then in your project run 'hookgate init'`,
  );
  return 0;
}

if (import.meta.main) {
  const [mode, ...rest] = Deno.args;
  if (mode !== "install" && mode !== "uninstall") {
    console.error("usage: deno run lib/cli/install.ts install|uninstall [--root DIR]");
    Deno.exit(64);
  }
  Deno.exitCode = await mainOf(mode, rest);
}

/** Runs hookgate as a real subprocess, the way users do. */
import { tempDir } from "./temp_dir.ts";

export const MAIN = new URL("../../main.ts", import.meta.url).pathname;
export const ROOT = new URL("../../", import.meta.url).pathname;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  /** Variables for the child; the child gets ONLY these plus PATH and HOME (no leaks from the test runner). */
  env?: Record<string, string>;
  cwd?: string;
  stdin?: string | Uint8Array;
  /** Deno permission flags; all by default. */
  permissions?: string[];
}

const ALL_PERMISSIONS = ["--allow-all"];

/**
 * The whole environment of a hookgate child: `vars` plus PATH, HOME, NO_COLOR and
 * the test's DENO_DIR (its module cache), nothing else from the test runner.
 */
export function childEnv(vars: Record<string, string> = {}): Record<string, string> {
  const denoDir = Deno.env.get("DENO_DIR");
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/tmp",
    NO_COLOR: "1",
    ...(denoDir ? { DENO_DIR: denoDir } : {}),
    ...vars,
  };
}

/** The whole command line of `deno run main.ts ARGS`, the deno binary first. */
export function cliArgv(args: string[], permissions: string[] = ALL_PERMISSIONS): string[] {
  return [
    Deno.execPath(),
    "run",
    "--quiet",
    "--no-prompt",
    `--config=${ROOT}deno.json`,
    ...permissions,
    MAIN,
    ...args,
  ];
}

export function cliCommand(args: string[], options: RunCliOptions = {}): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: cliArgv(args, options.permissions).slice(1),
    cwd: options.cwd ?? scratchDir(),
    clearEnv: true,
    env: childEnv(options.env),
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
}

export async function runCli(args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  // Without a cwd the child runs in a fresh empty directory, removed afterwards.
  if (options.cwd !== undefined) return await runIn(args, options);
  await using scratch = await tempDir("hookgate-cli-");
  return await runIn(args, { ...options, cwd: scratch.path });
}

/**
 * A fresh empty working directory for a child started without a cwd. The child may
 * outlive this call (a server), so the directories are removed when the test process
 * unloads rather than here.
 */
const scratchDirs = new Set<string>();
function scratchDir(): string {
  if (scratchDirs.size === 0) {
    globalThis.addEventListener("unload", () => {
      for (const dir of scratchDirs) Deno.removeSync(dir, { recursive: true });
    });
  }
  const dir = Deno.makeTempDirSync({ prefix: "hookgate-cli-" });
  scratchDirs.add(dir);
  return dir;
}

async function runIn(args: string[], options: RunCliOptions): Promise<CliResult> {
  const child = cliCommand(args, options).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(
      typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin,
    );
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** A hookgate command left running (`events tail`, `serve`): its output so far, and how to stop it. */
export interface RunningCli extends AsyncDisposable {
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Sends `signal` (SIGTERM by default) and waits for the exit; returns the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
  /** Resolves with the exit code whenever the process ends (its output read to the end). */
  exited: Promise<number>;
}

/**
 * Spawns `command` with its output collected as it comes; `onStderr` runs after each piece of
 * stderr (it reads what it needs through `stderr()`, so a long-running server's output is not
 * joined again for every line). Hold it with `await using`: disposal sends SIGTERM, then
 * SIGKILL if it has not left within `graceMs`.
 */
export function spawnCli(
  command: Deno.Command,
  options: { onStderr?: () => void; graceMs?: number } = {},
): RunningCli {
  const child = command.spawn();
  const out: string[] = [];
  const err: string[] = [];
  const read = async (stream: ReadableStream<Uint8Array>, into: string[], onText?: () => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      into.push(decoder.decode(chunk, { stream: true }));
      onText?.();
    }
  };
  const draining = Promise.all([
    read(child.stdout, out),
    read(child.stderr, err, options.onStderr),
  ]);
  const exited = child.status.then(async (status) => {
    await draining.catch(() => {});
    return status.code;
  });
  const stop = async (signal: Deno.Signal = "SIGTERM") => {
    try {
      child.kill(signal);
    } catch {
      // already exited
    }
    return await exited;
  };
  return {
    pid: child.pid,
    stdout: () => out.join(""),
    stderr: () => err.join(""),
    stop,
    exited,
    async [Symbol.asyncDispose]() {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const left = await Promise.race([
        stop("SIGTERM").then(() => true),
        new Promise<false>((resolve) =>
          timer = setTimeout(() => resolve(false), options.graceMs ?? 10_000)
        ),
      ]);
      clearTimeout(timer);
      if (!left) await stop("SIGKILL");
    },
  };
}

/** Starts hookgate with stdin closed and collects its output; see spawnCli. */
export function startCli(args: string[], options: Omit<RunCliOptions, "stdin"> = {}): RunningCli {
  return spawnCli(cliCommand(args, options));
}

/**
 * The servers `deno task bench` measures: hookgate itself, the two references
 * (bare, verify-only) and the peers a user would otherwise pick (the FastAPI
 * receiver and adnanh/webhook from ../shared/peers/, when installed). Each runs
 * as its own process on 127.0.0.1, so its CPU time can be read from /proc.
 */
import { freePort } from "../tests/support/machine.ts";
import { ROOT } from "./load.ts";
import { sleep } from "../lib/util/mod.ts";

export interface Server {
  /** Where deliveries are posted. */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

interface StartOptions {
  cwd?: string;
  env?: Record<string, string>;
  /**
   * Ready once this port accepts connections (peers that print nothing useful);
   * without it, once stderr shows `listening on URL` (hookgate, references).
   */
  port?: number;
  /** The URL path deliveries go to. */
  path?: string;
  /** Where the server's stdout goes (V8's --trace-gc writes there); discarded without it. */
  stdoutFile?: string;
}

const START_DEADLINE_MS = 30_000;

export async function commandExists(name: string): Promise<boolean> {
  try {
    const { code } = await new Deno.Command("sh", { args: ["-c", `command -v ${name}`] }).output();
    return code === 0;
  } catch {
    return false;
  }
}

async function portOpen(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** Starts `program args` and answers once it serves; stop() ends it (SIGTERM, then SIGKILL). */
export async function startServer(
  program: string,
  args: string[],
  options: StartOptions = {},
): Promise<Server> {
  const child = new Deno.Command(program, {
    args,
    cwd: options.cwd ?? ROOT,
    env: { ...options.env, NO_COLOR: "1" },
    stdin: "null",
    stdout: options.stdoutFile === undefined ? "null" : "piped",
    stderr: "piped",
  }).spawn();
  // Drained into the file until the process ends; stop() waits for the last of it.
  const stdoutDone = options.stdoutFile === undefined
    ? Promise.resolve()
    : Deno.open(options.stdoutFile, { write: true, create: true, truncate: true })
      .then((file) => child.stdout.pipeTo(file.writable)).catch(() => {});
  const stop = async () => {
    // serve shuts down within its grace on SIGTERM; a second SIGTERM and finally SIGKILL
    // bound the wait for anything that does not (what was accepted is durable either way).
    for (const signal of ["SIGTERM", "SIGTERM", "SIGKILL"] as const) {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
      // The grace timer ends with the child, so a stopped server leaves no timer pending.
      const graceOver = new AbortController();
      const exited = await Promise.race([
        child.status.then(() => true),
        sleep(15_000, graceOver.signal).then(() => false),
      ]);
      graceOver.abort();
      if (exited) break;
    }
    await child.status;
    await stdoutDone;
  };
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const drain = () =>
    (async () => {
      while (!(await reader.read()).done);
    })().catch(() => {});
  const deadline = Date.now() + START_DEADLINE_MS;
  if (options.port !== undefined) {
    drain();
    while (Date.now() < deadline) {
      if (await portOpen(options.port)) {
        return {
          url: `http://127.0.0.1:${options.port}${options.path ?? ""}`,
          pid: child.pid,
          stop,
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } else {
    let seen = "";
    while (Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
      const match = /listening on (http:\/\/[^\s]+)/.exec(seen);
      if (match) {
        // Keep draining stderr so the server never blocks on a full pipe.
        drain();
        const url = (match[1] as string).replace(/\/$/, "");
        return { url: `${url}${options.path ?? "/webhook"}`, pid: child.pid, stop };
      }
    }
    await stop();
    throw new Error(`server did not start: ${program} ${args.join(" ")}\n${seen}`);
  }
  await stop();
  throw new Error(`server did not start: ${program} ${args.join(" ")}`);
}

/** serve's flags for the receive-only scenario: the gates and the accept commit, nothing after. */
export const RECEIVE_ONLY_FLAGS = ["--pull", "--quiet", "--no-trace"];

/**
 * serve's flags for one of bench:profile's scenarios, plus `serveFlags` (space-separated, as
 * `--serve-flags` gives them). verify-only runs the reference, which takes none.
 */
export function profileServeFlags(scenario: string, serveFlags: string): string[] {
  const added = serveFlags.split(" ").filter((flag) => flag !== "");
  if (scenario.startsWith("verify-only") && added.length > 0) {
    throw new Error(`--serve-flags is for hookgate's scenarios; ${scenario} runs the reference`);
  }
  const own = scenario === "exec"
    ? ["--exec", "true"]
    : scenario === "receive-only"
    ? RECEIVE_ONLY_FLAGS
    : [];
  return [...own, ...added];
}

export interface HookgateOptions {
  dataDir: string;
  v8Flags: string;
  /** The checkout whose main.ts and deno.json run (this one by default), ending in "/". */
  tree?: string;
  /** Deno flags before the script (e.g. `--cpu-prof-dir=DIR`). */
  denoFlags?: string[];
  extra?: string[];
  env?: Record<string, string>;
  /** Where serve's stdout goes (discarded without it). */
  stdoutFile?: string;
}

/** The `--v8-flags=…` of `tree`'s deno.json serve task, or "" when it has none. */
export async function serveTaskV8Flags(tree: string): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(`${tree}deno.json`)) as {
    tasks?: Record<string, string>;
  };
  const match = /--v8-flags=(\S+)/.exec(config.tasks?.serve ?? "");
  return match?.[1] ?? "";
}

/** `hookgate serve` on a free port with its own data dir; deliveries go to URL/webhook. */
export function startHookgate(options: HookgateOptions): Promise<Server> {
  return startServer(Deno.execPath(), [
    "run",
    "-A",
    ...(options.v8Flags ? [`--v8-flags=${options.v8Flags}`] : []),
    ...(options.denoFlags ?? []),
    `--config=${options.tree ?? ROOT}deno.json`,
    `${options.tree ?? ROOT}main.ts`,
    "serve",
    "--port",
    "0",
    "--data-dir",
    options.dataDir,
    ...(options.extra ?? []),
  ], {
    env: options.env ?? {},
    ...(options.stdoutFile === undefined ? {} : { stdoutFile: options.stdoutFile }),
  });
}

/** A reference server of bench/ (bare_server.ts, verify_only_server.ts). */
export function startReference(
  file: string,
  env: Record<string, string> = {},
  denoFlags: string[] = [],
): Promise<Server> {
  return startServer(Deno.execPath(), ["run", "-A", ...denoFlags, `${ROOT}bench/${file}`, "0"], {
    env,
  });
}

/** Where the peers live: ../shared/peers beside the checkout, unless --peers says otherwise. */
export function defaultPeersDir(): string {
  return `${ROOT}../shared/peers`;
}

/** A python3 that has FastAPI, uvicorn and python-dotenv (Debian's, even under pyenv), or null. */
export async function fastapiPython(): Promise<string | null> {
  for (const candidate of ["/usr/bin/python3", "python3"]) {
    try {
      const { code } = await new Deno.Command(candidate, {
        args: ["-c", "import fastapi, uvicorn, dotenv"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (code === 0) return candidate;
    } catch {
      // not there
    }
  }
  return null;
}

/** The seed's FastAPI receiver (in-memory replay set, not durable) under uvicorn. */
export function startFastapi(python: string, peersDir: string, secret: string): Promise<Server> {
  const port = freePort();
  return startServer(python, [
    "-m",
    "uvicorn",
    "receiver:app",
    "--port",
    String(port),
    "--host",
    "127.0.0.1",
    "--log-level",
    "warning",
  ], {
    cwd: peersDir,
    env: { WEBHOOK_SECRET: secret, PYTHONPATH: peersDir, PATH: Deno.env.get("PATH") ?? "" },
    port,
    path: "/webhook",
  });
}

/** adnanh/webhook with the peers' hook: checks X-Hub-Signature-256, runs /bin/true per delivery. */
export function startAdnanh(peersDir: string): Promise<Server> {
  const port = freePort();
  return startServer("webhook", [
    "-hooks",
    `${peersDir}/adnanh-hooks.json`,
    "-port",
    String(port),
    "-ip",
    "127.0.0.1",
  ], { port, path: "/hooks/webhook" });
}

/** The secret the adnanh peer's hook file checks (a fixed test value, not a real secret). */
export const ADNANH_SECRET = "dev-shared-secret-change-me";

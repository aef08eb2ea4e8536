/** Starts the real `hookgate serve` as a subprocess on a free port, and always stops it. */
import { cliCommand } from "./cli.ts";

export interface ServeProcess extends AsyncDisposable {
  /** e.g. http://127.0.0.1:41234 (no trailing slash) */
  url: string;
  pid: number;
  /** Everything the server printed so far. */
  stdout(): string;
  stderr(): string;
  /** Sends `signal` (SIGTERM by default) and waits for the exit; returns the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
  /** Resolves with the exit code whenever the process ends. */
  exited: Promise<number>;
}

export interface StartServeOptions {
  env: Record<string, string>;
  /** Extra flags after `serve --port 0`. */
  args?: string[];
  cwd?: string;
  /** How long to wait for the listening line. */
  timeoutMs?: number;
  /** How to start hookgate with these arguments (default: `deno run main.ts`, see cliCommand). */
  command?: (args: string[]) => Deno.Command;
}

async function collect(stream: ReadableStream<Uint8Array>, into: string[], onText?: () => void) {
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    into.push(decoder.decode(chunk, { stream: true }));
    onText?.();
  }
}

export async function startServe(options: StartServeOptions): Promise<ServeProcess> {
  const args = ["serve", "--port", "0", ...(options.args ?? [])];
  const child = (options.command?.(args) ?? cliCommand(args, {
    env: options.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
  })).spawn();
  const out: string[] = [];
  const err: string[] = [];
  let onErr: () => void = () => {};
  const draining = Promise.all([
    collect(child.stdout, out),
    collect(child.stderr, err, () => onErr()),
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
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve did not listen in time:\n${err.join("")}`)),
      options.timeoutMs ?? 20_000,
    );
    onErr = () => {
      const match = /listening on (http:\/\/\S+?)\/?\s/.exec(err.join(""));
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening:\n${err.join("")}`));
    });
  });
  try {
    const url = await listening;
    return {
      url,
      pid: child.pid,
      stdout: () => out.join(""),
      stderr: () => err.join(""),
      stop,
      exited,
      // `await using serve = await startServe(…)`: SIGTERM, then SIGKILL if it has not
      // left within its shutdown grace, so no test leaves a server running.
      async [Symbol.asyncDispose]() {
        const left = await Promise.race([
          stop("SIGTERM").then(() => true),
          new Promise<false>((resolve) => setTimeout(() => resolve(false), 15_000)),
        ]);
        if (!left) await stop("SIGKILL");
      },
    };
  } catch (error) {
    await stop("SIGKILL");
    throw error;
  }
}

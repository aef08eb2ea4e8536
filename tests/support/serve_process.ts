/** Starts the real `hookgate serve` as a subprocess on a free port, and always stops it. */
import { cliCommand, type RunningCli, spawnCli } from "./cli.ts";

export interface ServeProcess extends RunningCli {
  /** e.g. http://127.0.0.1:41234 (no trailing slash) */
  url: string;
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

export async function startServe(options: StartServeOptions): Promise<ServeProcess> {
  const args = ["serve", "--port", "0", ...(options.args ?? [])];
  let onErr: () => void = () => {};
  // SIGTERM, then SIGKILL if it has not left within its shutdown grace: no test leaves a server running.
  const serve = spawnCli(
    options.command?.(args) ?? cliCommand(args, {
      env: options.env,
      ...(options.cwd ? { cwd: options.cwd } : {}),
    }),
    { onStderr: () => onErr(), graceMs: 15_000 },
  );
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve did not listen in time:\n${serve.stderr()}`)),
      options.timeoutMs ?? 20_000,
    );
    onErr = () => {
      const match = /listening on (http:\/\/\S+?)\/?\s/.exec(serve.stderr());
      if (match) {
        // Found once: the rest of a long run's stderr is not searched again line by line.
        onErr = () => {};
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    serve.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening:\n${serve.stderr()}`));
    });
  });
  try {
    // `await using serve = await startServe(…)` disposes of the process as spawnCli does.
    return Object.assign(serve, { url: await listening });
  } catch (error) {
    await serve.stop("SIGKILL");
    throw error;
  }
}

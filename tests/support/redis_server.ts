/**
 * Starts Debian's `redis-server` for a test: loopback only, a free port, a
 * temporary directory, the durable settings docs/deploy.md recommends (AOF with
 * appendfsync always, no RDB snapshots). Callers hold it with `await using` (or stop it).
 */
import { availableOrSkip, freePort, programRuns } from "./machine.ts";

export interface RedisServer extends AsyncDisposable {
  port: number;
  /** redis://127.0.0.1:PORT (no password in it, even when one is required). */
  url: string;
  dir: string;
  /** Stops the server (SIGKILL by default: a crash, which AOF always must survive) and starts it again on the same port and data. */
  restart(options?: { signal?: Deno.Signal; downMs?: number }): Promise<void>;
  /** Stops the server without starting it again (until restart() or start()). */
  halt(signal?: Deno.Signal): Promise<void>;
  /** Starts a halted server again. */
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void;
  /** Lets a paused server run again (SIGCONT). */
  resume(): void;
  /** Stops the server for good and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
  /** `await using`: the same as stop(). */
  [Symbol.asyncDispose](): Promise<void>;
}

export interface StartRedisOptions {
  /** Sets `requirepass`. */
  password?: string;
}

const REDIS_BIN = "redis-server";

/** Whether `redis-server` can be run here; tests skip with a clear message when not (never in CI). */
export function redisServerAvailable(): boolean {
  return availableOrSkip(programRuns(REDIS_BIN, ["--version"]), {
    program: "redis-server",
    tests: "Redis tests",
    install: "redis-server",
  });
}

async function ping(port: number, password: string | undefined): Promise<boolean> {
  let conn: Deno.TcpConn | undefined;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const auth = password === undefined
      ? ""
      : `*2\r\n$4\r\nAUTH\r\n$${new TextEncoder().encode(password).length}\r\n${password}\r\n`;
    await conn.write(new TextEncoder().encode(`${auth}PING\r\n`));
    const buffer = new Uint8Array(256);
    let reply = "";
    const deadline = Date.now() + 1_000;
    while (Date.now() < deadline && !reply.includes("PONG") && !reply.includes("-")) {
      const n = await conn.read(buffer);
      if (n === null) break;
      reply += new TextDecoder().decode(buffer.subarray(0, n));
    }
    return reply.includes("+PONG");
  } catch {
    return false;
  } finally {
    try {
      conn?.close();
    } catch {
      // already closed
    }
  }
}

/** Starts redis-server; rejects (after stopping it) if it does not answer PING within 10 s. */
export async function startRedisServer(options: StartRedisOptions = {}): Promise<RedisServer> {
  const dir = await Deno.makeTempDir({ prefix: "hookgate-redis-" });
  let port = freePort();
  let child: Deno.ChildProcess | null = null;

  const launch = async (): Promise<void> => {
    const args = [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--appendonly",
      "yes",
      "--appendfsync",
      "always",
      "--save",
      "",
      "--daemonize",
      "no",
      "--logfile",
      "redis.log",
      "--protected-mode",
      "yes",
    ];
    if (options.password !== undefined) args.push("--requirepass", options.password);
    const process = new Deno.Command(REDIS_BIN, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    child = process;
    const deadline = Date.now() + 10_000;
    let exited = false;
    process.status.then(() => exited = true);
    while (Date.now() < deadline && !exited) {
      if (await ping(port, options.password)) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await halt("SIGKILL");
    let log = "";
    try {
      log = await Deno.readTextFile(`${dir}/redis.log`);
    } catch {
      // no log written
    }
    throw new Error(`redis-server did not answer PING on port ${port}:\n${log.slice(-2000)}`);
  };

  const send = (signal: Deno.Signal): void => {
    const current = child as Deno.ChildProcess | null;
    if (current === null) throw new Error("redis-server is not running");
    current.kill(signal);
  };

  const halt = async (signal: Deno.Signal = "SIGTERM"): Promise<void> => {
    const current = child as Deno.ChildProcess | null;
    if (current === null) return;
    child = null;
    try {
      // A paused server handles no signal but SIGKILL until it runs again.
      if (signal !== "SIGKILL") current.kill("SIGCONT");
      current.kill(signal);
    } catch {
      // already exited
    }
    const timer = setTimeout(() => {
      try {
        current.kill("SIGKILL");
      } catch {
        // already exited
      }
    }, 5_000);
    await current.status;
    clearTimeout(timer);
  };

  // The free port may be taken between probing and binding: try a few.
  for (let attempt = 1;; attempt++) {
    try {
      await launch();
      break;
    } catch (error) {
      if (attempt >= 3) {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
        throw error;
      }
      port = freePort();
    }
  }

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await halt("SIGTERM");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    halt,
    start: launch,
    pause: () => send("SIGSTOP"),
    resume: () => send("SIGCONT"),
    async restart(restartOptions = {}) {
      await halt(restartOptions.signal ?? "SIGKILL");
      if (restartOptions.downMs) {
        await new Promise((resolve) => setTimeout(resolve, restartOptions.downMs));
      }
      await launch();
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/**
 * Fixtures for tests of the `--exec` hand-off: a stored event, an exec handler
 * with a minimal environment, a bounded wait for a hand-off, and a directory for
 * an agent's PID files that kills what they name and removes itself.
 */
import type { StoredEvent } from "../../lib/store/mod.ts";
import { createExecHandler, type ExecHandlerOptions } from "../../lib/handoff/mod.ts";
import { tempDir } from "./temp_dir.ts";

/** The PATH the agents run with: the test's own. */
export const PATH = Deno.env.get("PATH") ?? "/usr/bin:/bin";

/** A pending event "evt-1" on route "webhook", received 2026-11-30T12:00:00Z. */
export function storedEvent(overrides: Partial<StoredEvent> = {}): StoredEvent {
  return {
    route: "webhook",
    key: "id:evt-1",
    id: "evt-1",
    payload: new TextEncoder().encode('{"id":"evt-1"}'),
    receivedAtMs: Date.UTC(2026, 10, 30, 12, 0, 0),
    attempt: 1,
    status: "pending",
    lastError: null,
    ...overrides,
  };
}

/** An exec handler for `command` with only PATH, HOME and LANG, no allowlist, no secrets. */
export function execHandler(command: string, options: Partial<ExecHandlerOptions> = {}) {
  return createExecHandler({
    command,
    env: { PATH, HOME: "/tmp", LANG: "C.UTF-8" },
    envAllowlist: [],
    timeoutMs: 60_000,
    secrets: [],
    ...options,
  });
}

/** A guard, not a measurement: without the kill under test the hand-off would wait out its sleep. */
export async function withinSeconds<T>(seconds: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${seconds} s`)), seconds * 1000);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

/** A temporary directory for an agent's `*.pid` files. */
export interface AgentDir extends AsyncDisposable {
  path: string;
}

/**
 * On dispose, SIGKILLs every process a `*.pid` file in the directory names (a
 * test that failed may have left them running), then removes the directory.
 */
export async function agentDir(): Promise<AgentDir> {
  const dir = await tempDir("hookgate-agent-");
  return {
    path: dir.path,
    async [Symbol.asyncDispose]() {
      for await (const entry of Deno.readDir(dir.path)) {
        if (!entry.isFile || !entry.name.endsWith(".pid")) continue;
        const pid = Number(await Deno.readTextFile(`${dir.path}/${entry.name}`).catch(() => "0"));
        if (pid > 1) {
          try {
            Deno.kill(pid, "SIGKILL");
          } catch {
            // gone, as it should be
          }
        }
      }
      await dir[Symbol.asyncDispose]();
    },
  };
}

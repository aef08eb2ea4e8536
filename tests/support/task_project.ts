/**
 * hookgate run as `deno task <command>` runs it, for the permission tests: a copy of the
 * program in a temporary project directory (so the tasks' relative paths such as `.env` and
 * `.hookgate` resolve there), started with the flags its task in deno.json grants.
 */
import assert from "node:assert/strict";
import denoConfig from "../../deno.json" with { type: "json" };
import { childEnv } from "./cli.ts";

export const TASKS: Record<string, string> = denoConfig.tasks;
const ROOT = new URL("../../", import.meta.url).pathname;
const SECRET = "permissions-test-secret-0123456789abcdef";

/** A task's command line; the test fails when deno.json has no such task. */
export function task(name: string): string {
  const line = TASKS[name];
  assert.ok(line, `deno.json has no '${name}' task`);
  return line;
}

/** The deno flags of a task, i.e. everything between `deno run` and `main.ts`. */
export function runFlags(name: string): string[] {
  const tokens = task(name).split(/\s+/);
  assert.equal(tokens.slice(0, 2).join(" "), "deno run");
  const script = tokens.indexOf("main.ts");
  assert.ok(script > 2, `task '${name}' does not run main.ts`);
  return tokens.slice(2, script);
}

let projectDir: string | undefined;

/** A fresh directory beside the project, i.e. outside the directory the commands run in. */
export async function outsideDir(): Promise<string> {
  return await Deno.makeTempDir({ dir: `${await project()}/..`, prefix: "outside-" });
}

/** A copy of the program with a .env, like a checkout after `deno task init`. */
export async function project(): Promise<string> {
  if (projectDir) return projectDir;
  const base = await Deno.makeTempDir({ prefix: "hookgate-perm-" });
  globalThis.addEventListener("unload", () => Deno.removeSync(base, { recursive: true }));
  const dir = `${base}/project`;
  await Deno.mkdir(dir);
  const copy = await new Deno.Command("cp", {
    args: ["-R", `${ROOT}main.ts`, `${ROOT}deno.json`, `${ROOT}deno.lock`, `${ROOT}lib`, dir],
  }).output();
  assert.equal(copy.code, 0, new TextDecoder().decode(copy.stderr));
  await Deno.writeTextFile(
    `${dir}/.env`,
    `WEBHOOK_SECRET=${SECRET}\nHOOKGATE_TOKEN_SECRET=${SECRET}-token\n`,
    { mode: 0o600 },
  );
  projectDir = dir;
  return dir;
}

export function quietEnv(extra: Record<string, string> = {}): Record<string, string> {
  return childEnv({ DENO_NO_UPDATE_CHECK: "1", ...extra });
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Past this, a command that should have been refused is still running: it was not refused. */
const REFUSAL_TIMEOUT_MS = 30_000;

/**
 * `deno run <the task's flags> main.ts NAME ARGS…` in the project copy: what
 * `deno task NAME` runs there, with a process the timeout can really kill.
 */
export async function runTask(
  name: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Run> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...runFlags(name), "main.ts", name, ...args],
    cwd: await project(),
    clearEnv: true,
    env: quietEnv(env),
    stdin: "null",
    signal: AbortSignal.timeout(REFUSAL_TIMEOUT_MS),
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** A TCP listener that only counts connections: the thing that must NOT be reached. */
export function countingListener(hostname: string) {
  const listener = Deno.listen({ hostname, port: 0 });
  let accepted = 0;
  const loop = (async () => {
    try {
      for await (const conn of listener) {
        accepted++;
        conn.close();
      }
    } catch {
      // closed
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    accepted: () => accepted,
    async close() {
      listener.close();
      await loop;
    },
  };
}

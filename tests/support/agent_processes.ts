/**
 * For the `--exec` isolation tests: an unprivileged user for the agent (the
 * tests run as root in CI), and waits on processes by PID.
 */

/** The account agents run as under --exec-user in tests; created on first use. */
export const AGENT_USER = "hookgate-test-agent";

export interface AgentUser {
  name: string;
  uid: number;
  gid: number;
}

function run(program: string, args: string[]) {
  const result = new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).outputSync();
  const decoder = new TextDecoder();
  return {
    code: result.code,
    stdout: decoder.decode(result.stdout).trim(),
    stderr: decoder.decode(result.stderr).trim(),
  };
}

/**
 * The unprivileged test user, created with useradd when missing. Null (with the
 * reason) where users cannot be created: not root. In CI (`CI` set) that is an
 * error, never a skip.
 */
export function agentUser(): { user: AgentUser | null; reason: string } {
  if (Deno.uid() !== 0) {
    const reason = "the --exec-user tests need root (they create the user " + AGENT_USER + ")";
    if (Deno.env.get("CI")) throw new Error(`${reason}; CI must run them`);
    return { user: null, reason };
  }
  if (run("id", ["-u", AGENT_USER]).code !== 0) {
    const made = run("useradd", [
      "--system",
      "--no-create-home",
      "--shell",
      "/usr/sbin/nologin",
      AGENT_USER,
    ]);
    // 9: another test file created it meanwhile.
    if (made.code !== 0 && made.code !== 9) {
      throw new Error(`useradd ${AGENT_USER} failed: ${made.stderr}`);
    }
  }
  return {
    user: {
      name: AGENT_USER,
      uid: Number(run("id", ["-u", AGENT_USER]).stdout),
      gid: Number(run("id", ["-g", AGENT_USER]).stdout),
    },
    reason: "",
  };
}

/**
 * Gone = no such process, or a zombie nobody reaped yet (it runs nothing any
 * more). Read by `cat`: Deno itself wants --allow-all for anything under /proc.
 */
export async function processGone(pid: number): Promise<boolean> {
  const read = await new Deno.Command("cat", {
    args: [`/proc/${pid}/stat`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!read.success) {
    const why = decoder.decode(read.stderr);
    if (/No such file or directory/.test(why)) return true;
    throw new Error(`cannot tell whether process ${pid} runs: ${why}`);
  }
  return /^\d+ \(.*\) Z /s.test(decoder.decode(read.stdout));
}

/** Polls until every pid is gone or `limitMs` passed (a bound on waiting); the pids still alive. */
export async function survivors(pids: number[], limitMs: number): Promise<number[]> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const alive: number[] = [];
    for (const pid of pids) if (!(await processGone(pid))) alive.push(pid);
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls `path` until it holds a positive integer (a PID the agent wrote). */
export async function readPid(path: string, limitMs = 20_000): Promise<number> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const text = await Deno.readTextFile(path).catch(() => "");
    if (/^[0-9]+\s*$/.test(text) && Number(text) > 1) return Number(text);
    if (Date.now() > deadline) throw new Error(`no pid in ${path} after ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Shell text that writes the shell's own host PID (also inside a PID namespace) to FILE. */
export function writeOwnPid(file: string): string {
  return `read -r hostpid _ < /proc/self/stat; echo "$hostpid" > ${file}`;
}

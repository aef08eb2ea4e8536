/**
 * The few git facts `init` and `doctor` need, asked of the git binary. Git
 * missing, not permitted or refusing the repository is a fact too, not a
 * crash: the caller skips the git checks and says why.
 */
export type GitFacts =
  | { kind: "repo"; tracked: boolean; inHistory: boolean }
  | { kind: "not-repo" }
  | { kind: "unavailable"; reason: string };

interface GitRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function runGit(cwd: string, args: string[]): Promise<GitRun> {
  const { code, stdout, stderr } = await new Deno.Command("git", {
    args,
    cwd,
    // Never block on a pager or a prompt; never take the index lock; messages we can match.
    env: { GIT_PAGER: "cat", GIT_TERMINAL_PROMPT: "0", GIT_OPTIONAL_LOCKS: "0", LC_ALL: "C" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? "";
}

/**
 * Whether `path` (relative to `cwd`) is tracked (in the index, so staged
 * counts) and whether it appears in any commit reachable from any ref.
 */
export async function readGitFacts(cwd: string, path: string): Promise<GitFacts> {
  let inside: GitRun;
  try {
    inside = await runGit(cwd, ["rev-parse", "--is-inside-work-tree"]);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { kind: "unavailable", reason: "git is not installed" };
    }
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      return { kind: "unavailable", reason: "running git is not permitted (--allow-run=git)" };
    }
    throw error;
  }
  if (inside.code !== 0) {
    // Only "not a git repository" means no repo; anything else (such as git's
    // "dubious ownership" refusal) must not pass for a clean bill of health.
    return /not a git repository/i.test(inside.stderr)
      ? { kind: "not-repo" }
      : { kind: "unavailable", reason: `git failed: ${firstLine(inside.stderr)}` };
  }
  if (inside.stdout.trim() !== "true") return { kind: "not-repo" };
  const literal = `:(literal)${path}`;
  const [tracked, history] = await Promise.all([
    runGit(cwd, ["ls-files", "--cached", "--", literal]),
    runGit(cwd, ["log", "--all", "--format=%h", "-n", "1", "--", literal]),
  ]);
  for (const run of [tracked, history]) {
    if (run.code !== 0) {
      return { kind: "unavailable", reason: `git failed: ${firstLine(run.stderr)}` };
    }
  }
  return {
    kind: "repo",
    tracked: tracked.stdout.trim() !== "",
    inHistory: history.stdout.trim() !== "",
  };
}

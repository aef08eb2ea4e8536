/** Temporary directories and git repositories for tests that touch files and git. */
import { type TempDir, tempDir } from "./temp_dir.ts";

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command("git", {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (code !== 0) throw new Error(`git ${args.join(" ")} failed: ${decoder.decode(stderr)}`);
  return decoder.decode(stdout);
}

/**
 * A fresh git repository with a local identity (commits work on any machine), removed by
 * itself: `await using repo = await tempRepo()`.
 */
export async function tempRepo(): Promise<TempDir> {
  const repo = await tempDir("hookgate-repo-");
  try {
    await initRepo(repo.path);
  } catch (error) {
    await repo[Symbol.asyncDispose]();
    throw error;
  }
  return repo;
}

async function initRepo(dir: string): Promise<void> {
  await git(dir, "init", "--quiet");
  await git(dir, "config", "user.name", "hookgate tests");
  await git(dir, "config", "user.email", "tests@hookgate.invalid");
  await git(dir, "config", "commit.gpgsign", "false");
}

export async function makeTempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "hookgate-dir-" });
}

export async function removeDir(dir: string): Promise<void> {
  await Deno.remove(dir, { recursive: true });
}

/** Writes a file with an exact mode, whatever the umask. */
export async function writeFileWithMode(path: string, text: string, mode: number): Promise<void> {
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, mode);
}

export async function fileMode(path: string): Promise<number> {
  return ((await Deno.stat(path)).mode ?? 0) & 0o777;
}

import { configError, usageError } from "./cli_error.ts";
import {
  addGitignoreLines,
  ENV_TEMPLATE,
  type GitFacts,
  parseDotenv,
  randomSecret,
  readGitFacts,
  SECRET_VAR,
  setEnvValues,
  TOKEN_SECRET_VAR,
  writeEnvFile,
} from "../setup/mod.ts";
import { ExitCode } from "./exit_codes.ts";
import type { Output } from "./output.ts";
import { parseCommandArgs } from "./args.ts";
import type { Command } from "./command.ts";

/** The secrets init makes; each is created only where `.env` has none. */
const SECRET_VARS = [SECRET_VAR, TOKEN_SECRET_VAR];
const GITIGNORE_LINES = [".env", ".hookgate/"];

const HELP = `hookgate init: set up secrets the safe way

Usage: hookgate init            (deno task init)

Creates .env from .env.example (or the built-in template) with a fresh
${SECRET_VAR} and ${TOKEN_SECRET_VAR} (32 random bytes each from the
CSPRNG, base64url). The file is written atomically with mode 0600 and no
secret is ever printed. Adds the lines .env and .hookgate/ to .gitignore
(creating it if needed, never twice).

Safe to run again: a secret already in .env is never overwritten (use
'hookgate rotate' to replace one); only missing or empty ones are filled in.

Inside a git repository where .env is already tracked, init changes nothing,
explains the fix and exits 78.

Options:
  -h, --help  show this help

Then run 'deno task doctor' to check the whole set-up.`;

const TRACKED = `.env is tracked by git, so the secrets in it are already in the repository.
Fix: run 'git rm --cached .env' and commit (the file stays on disk; .gitignore keeps it out),
then rotate every secret it holds: empty the value of ${SECRET_VAR} in .env, run 'deno task init'
again, and give the new secret to your senders. init changed nothing.`;

async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

interface SecretPlan {
  /** Secrets `.env` already holds: never touched. */
  kept: string[];
  /** Secrets to write, by name. */
  fresh: Record<string, string>;
}

function planSecrets(existing: string | null): SecretPlan {
  // Values in a template are placeholders (and public): only a real .env has secrets to keep.
  const current = existing === null ? {} : parseDotenv(existing);
  const kept = SECRET_VARS.filter((name) => (current[name] ?? "").trim() !== "");
  const fresh = Object.fromEntries(
    SECRET_VARS.filter((name) => !kept.includes(name)).map((name) => [name, randomSecret()]),
  );
  return { kept, fresh };
}

async function makePrivate(path: string, output: Output): Promise<void> {
  const { mode } = await Deno.stat(path);
  if (mode === null || (mode & 0o077) === 0) return;
  await Deno.chmod(path, 0o600);
  output.out(`set .env to mode 0600 (it was ${(mode & 0o777).toString(8).padStart(4, "0")})`);
}

/** Fills in the secrets .env lacks and makes sure it is private to its owner. */
async function writeSecrets(cwd: string, output: Output): Promise<void> {
  const envPath = `${cwd}/.env`;
  const existing = await readTextIfExists(envPath);
  const example = existing === null ? await readTextIfExists(`${cwd}/.env.example`) : null;
  const { kept, fresh } = planSecrets(existing);
  output.protect(Object.values(fresh));
  for (const name of kept) {
    output.out(`${name} is already set in .env: kept (init never overwrites a secret)`);
  }
  const made = Object.keys(fresh);
  if (made.length === 0) return await makePrivate(envPath, output);
  await writeEnvFile(envPath, setEnvValues(existing ?? example ?? ENV_TEMPLATE, fresh));
  const what = existing !== null
    ? "updated .env"
    : `created .env from ${example !== null ? ".env.example" : "the built-in template"}`;
  output.out(
    `${what} (mode 0600): new ${made.join(" and ")}, 32 random bytes each (never printed)`,
  );
}

async function updateGitignore(cwd: string, output: Output): Promise<void> {
  const path = `${cwd}/.gitignore`;
  const existing = await readTextIfExists(path);
  const edit = addGitignoreLines(existing ?? "", GITIGNORE_LINES);
  if (edit.added.length === 0) {
    output.out(`.gitignore already has ${GITIGNORE_LINES.join(" and ")}`);
    return;
  }
  await Deno.writeTextFile(path, edit.text);
  output.out(
    `${existing === null ? "created" : "updated"} .gitignore: added ${edit.added.join(" and ")}`,
  );
}

function reportGit(git: GitFacts, output: Output): void {
  if (git.kind === "not-repo") {
    output.out("not a git repository: .gitignore will keep .env out once you run 'git init'");
  } else if (git.kind === "unavailable") {
    output.err(
      `warning: could not ask git (${git.reason}): make sure 'git status --short' does not list .env`,
    );
  } else if (git.inHistory) {
    output.err(
      "warning: .env appears in git history: the secrets it held are leaked for good; " +
        "run 'deno task doctor' for the fix",
    );
  }
}

export const initCommand: Command = {
  help: HELP,
  async run({ args, cwd, output }) {
    const { positionals } = parseCommandArgs("init", args, {});
    if (positionals.length > 0) {
      throw usageError(`init takes no arguments, got '${positionals[0]}'`);
    }
    const git = await readGitFacts(cwd, ".env");
    if (git.kind === "repo" && git.tracked) throw configError(TRACKED);
    await writeSecrets(cwd, output);
    await updateGitignore(cwd, output);
    reportGit(git, output);
    output.out("next: run 'deno task doctor' to check the set-up");
    return ExitCode.ok;
  },
};

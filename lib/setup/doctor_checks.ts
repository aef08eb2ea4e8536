/**
 * The set-up checks of `hookgate doctor` (the set-up checkpoints), as pure
 * functions over facts gathered elsewhere. One result per check, in the
 * order of a first set-up; every non-ok result says how to fix it.
 */
import {
  EXEC_USER_VAR,
  isRepetitive,
  MIN_DISTINCT_CHARS,
  MIN_SECRET_BYTES,
  PLACEHOLDER_SECRET,
  readSecret,
  RECOMMENDED_SECRET_BYTES,
  SECRET_VAR,
  TOKEN_SECRET_VAR,
} from "./config.ts";
import { parseDotenv } from "./dotenv.ts";
import { ALLOW_HOSTS_VAR, parseEgressPolicy } from "../egress/mod.ts";
import type { GitFacts } from "./git.ts";
import { hasGitignoreLine } from "./gitignore.ts";

export type CheckStatus = "ok" | "warn" | "FAIL" | "skip";

export type CheckId =
  | "env-exists"
  | "secret-defined"
  | "gitignore"
  | "git"
  | "env-untracked"
  | "env-history"
  | "env-mode"
  | "secret-strength"
  | "token-secret-strength"
  | "egress"
  | "agent-user"
  | "routes";

export interface CheckResult {
  id: CheckId;
  status: CheckStatus;
  message: string;
  fix?: string;
}

export type EnvFileFact =
  | { kind: "missing" }
  | { kind: "unreadable"; reason: string }
  | { kind: "present"; text: string; mode: number | null };

export interface DoctorFacts {
  envFile: EnvFileFact;
  /** `.gitignore` text, or null when there is none. */
  gitignore: string | null;
  git: GitFacts;
  /** The environment hookgate runs with: `.env` overlaid by the real environment. */
  env: Record<string, string>;
}

export const EGRESS_VAR = ALLOW_HOSTS_VAR;
const INIT = "run 'hookgate init'";

function result(id: CheckId, status: CheckStatus, message: string, fix?: string): CheckResult {
  return fix === undefined ? { id, status, message } : { id, status, message, fix };
}

function isSet(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== "";
}

function checkEnvExists(facts: DoctorFacts): CheckResult {
  const { envFile, env } = facts;
  if (envFile.kind === "present") return result("env-exists", "ok", ".env exists");
  if (envFile.kind === "unreadable") {
    return result(
      "env-exists",
      "FAIL",
      `.env cannot be read (${envFile.reason})`,
      "make it a regular file owned by you with mode 0600 (chmod 600 .env)",
    );
  }
  if (isSet(env[SECRET_VAR])) {
    return result("env-exists", "ok", `no .env: ${SECRET_VAR} comes from the real environment`);
  }
  return result("env-exists", "FAIL", ".env does not exist", INIT);
}

function checkSecretDefined(facts: DoctorFacts): CheckResult {
  const { envFile, env } = facts;
  if (envFile.kind === "present" && isSet(parseDotenv(envFile.text)[SECRET_VAR])) {
    return result("secret-defined", "ok", `.env defines ${SECRET_VAR}`);
  }
  if (isSet(env[SECRET_VAR])) {
    return result("secret-defined", "ok", `${SECRET_VAR} is set in the real environment`);
  }
  if (envFile.kind !== "present") {
    return result("secret-defined", "skip", `${SECRET_VAR} not checked: no .env`);
  }
  return result(
    "secret-defined",
    "FAIL",
    `.env does not define ${SECRET_VAR} (or it is empty)`,
    `${INIT} (it fills in an empty or missing secret and keeps the rest)`,
  );
}

function checkGitignore(facts: DoctorFacts): CheckResult {
  if (facts.gitignore !== null && hasGitignoreLine(facts.gitignore, ".env")) {
    return result("gitignore", "ok", ".gitignore contains the line .env");
  }
  // Outside a repository nothing can be committed yet: a warning, so a plain
  // deployment directory passes, but the fix is still named.
  const status = facts.git.kind === "not-repo" ? "warn" : "FAIL";
  const message = facts.gitignore === null
    ? ".gitignore does not exist"
    : hasGitignoreLine(facts.gitignore.replace(/^!.*$/gm, ""), ".env")
    ? ".gitignore has the line .env, but a later line (!…) takes it back"
    : ".gitignore lacks the exact line .env (no spaces, no leading slash)";
  return result(
    "gitignore",
    status,
    message,
    `${INIT} or add the line .env at the end of .gitignore`,
  );
}

function checkGit(facts: DoctorFacts): CheckResult[] {
  const { git } = facts;
  if (git.kind === "not-repo") {
    return [result("git", "skip", "git checks skipped: not a git repository")];
  }
  if (git.kind === "unavailable") {
    return [result(
      "git",
      "warn",
      `git checks skipped: ${git.reason}`,
      "make git usable here, or check by hand that 'git status --short' and " +
        "'git log --all -- .env' do not list .env",
    )];
  }
  const untracked = git.tracked
    ? result(
      "env-untracked",
      "FAIL",
      ".env is tracked by git",
      `run 'git rm --cached .env' and commit, then rotate ${SECRET_VAR} (it was shared with the repository)`,
    )
    : result("env-untracked", "ok", ".env is not tracked by git");
  const history = git.inHistory
    ? result(
      "env-history",
      "FAIL",
      ".env appears in git history: every secret it ever held is leaked for good",
      `rotate ${SECRET_VAR} and every other secret it held now; then scrub history (git filter-repo) ` +
        "or start a fresh repository",
    )
    : result("env-history", "ok", ".env never appears in git history");
  return [untracked, history];
}

function checkEnvMode(facts: DoctorFacts): CheckResult {
  const { envFile } = facts;
  if (envFile.kind !== "present") return result("env-mode", "skip", ".env permissions: no .env");
  if (envFile.mode === null) {
    return result("env-mode", "skip", ".env permissions: file modes are not available here");
  }
  const mode = (envFile.mode & 0o777).toString(8).padStart(4, "0");
  if ((envFile.mode & 0o066) !== 0) {
    return result(
      "env-mode",
      "FAIL",
      `.env is readable or writable by other users (mode ${mode})`,
      "chmod 600 .env",
    );
  }
  return result("env-mode", "ok", `.env is private to its owner (mode ${mode})`);
}

function checkSecretStrength(facts: DoctorFacts): CheckResult {
  const secret = facts.env[SECRET_VAR];
  if (!isSet(secret)) return result("secret-strength", "skip", `${SECRET_VAR} strength: not set`);
  return secretStrength(
    facts,
    secret,
    SECRET_VAR,
    "secret-strength",
    "give the new secret to your senders",
  );
}

/** The inspection API's token key: optional, but a weak one lets a leaked token forge others. */
function checkTokenSecretStrength(facts: DoctorFacts): CheckResult {
  const secret = facts.env[TOKEN_SECRET_VAR];
  if (!isSet(secret)) {
    return result(
      "token-secret-strength",
      "ok",
      `${TOKEN_SECRET_VAR} is not set: serve runs without the inspection API`,
    );
  }
  return secretStrength(
    facts,
    secret,
    TOKEN_SECRET_VAR,
    "token-secret-strength",
    "restart serve (tokens made with the old key stop working)",
  );
}

/** The strength of a secret that is set (each caller says what its absence means). */
function secretStrength(
  facts: DoctorFacts,
  secret: string,
  name: string,
  id: CheckId,
  after: string,
): CheckResult {
  const replace = `empty the value of ${name} in .env, ${INIT}, and ${after}`;
  const read = readSecret(facts.env, name);
  if (!read.ok) {
    return result(
      id,
      "FAIL",
      `${name} is shorter than ${MIN_SECRET_BYTES} bytes (refused)`,
      replace,
    );
  }
  if (secret === PLACEHOLDER_SECRET) {
    return result(
      id,
      "warn",
      `${name} is a published example value: anyone can sign with it`,
      replace,
    );
  }
  if (isRepetitive(secret)) {
    return result(
      id,
      name === TOKEN_SECRET_VAR ? "FAIL" : "warn",
      `${name} repeats fewer than ${MIN_DISTINCT_CHARS} different characters: guessable`,
      replace,
    );
  }
  const bytes = new TextEncoder().encode(secret).length;
  if (bytes < RECOMMENDED_SECRET_BYTES) {
    return result(
      id,
      "warn",
      `${name} is ${bytes} bytes; ${RECOMMENDED_SECRET_BYTES} or more recommended`,
      replace,
    );
  }
  return result(
    id,
    "ok",
    `${name} is at least ${RECOMMENDED_SECRET_BYTES} bytes and not a placeholder`,
  );
}

function checkEgress(facts: DoctorFacts): CheckResult {
  // The same parser fetch uses, so doctor passes exactly the lists fetch accepts.
  const policy = parseEgressPolicy(facts.env);
  if (!policy.ok) return result("egress", "FAIL", policy.reason, `correct ${EGRESS_VAR} in .env`);
  const hosts = policy.value.entries.map((entry) => entry.text);
  if (hosts.length === 0) {
    return result(
      "egress",
      // Receiving only is a valid set-up: the fetch tool then simply reaches nothing.
      "warn",
      `${EGRESS_VAR} is not set: the agent's fetch tool is denied every host (fine if it ` +
        "only receives)",
      `add ${EGRESS_VAR}=api.github.com,api.weather.gov (the hosts the agent may reach) to .env`,
    );
  }
  const noun = hosts.length === 1 ? "host" : "hosts";
  return result(
    "egress",
    "ok",
    `${EGRESS_VAR} allows ${hosts.length} ${noun}: ${hosts.join(", ")}`,
  );
}

/** The same warning `serve --exec` gives at start when the agent would share its user. */
function checkAgentUser(facts: DoctorFacts): CheckResult {
  const user = facts.env[EXEC_USER_VAR];
  if (isSet(user)) {
    return result(
      "agent-user",
      "ok",
      `agents started by 'serve --exec' run as ${user.trim()} (${EXEC_USER_VAR}); ` +
        `serve checks at start that it can switch to it`,
    );
  }
  return result(
    "agent-user",
    "warn",
    `agents started by 'serve --exec' run as the same user as hookgate, so they can read ` +
      `hookgate's secrets (.env, /proc/<pid>/environ)`,
    `start serve as root with --exec-user USER or ${EXEC_USER_VAR}=USER in .env, ` +
      `a user that cannot read .env (docs/exec.md)`,
  );
}

/** Every check, in the order of a first set-up. */
export function runDoctorChecks(facts: DoctorFacts): CheckResult[] {
  return [
    checkEnvExists(facts),
    checkSecretDefined(facts),
    checkGitignore(facts),
    ...checkGit(facts),
    checkEnvMode(facts),
    checkSecretStrength(facts),
    checkTokenSecretStrength(facts),
    checkEgress(facts),
    checkAgentUser(facts),
  ];
}

/** One line: the status, what was found, and for anything not ok, the fix. */
export function formatCheck(check: CheckResult): string {
  const fix = check.fix === undefined ? "" : ` — fix: ${check.fix}`;
  return `${check.status.padEnd(4)}  ${check.message}${fix}`;
}

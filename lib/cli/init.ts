/**
 * `hookgate init`: writes `.env` with fresh secrets (mode 0600, atomically, never printed),
 * gitignores it and `.hookgate/`, and with `--route` makes each provider's secret in its own
 * format (provider_setup.ts) and says where to paste it.
 */
import { configError, usageError } from "./cli_error.ts";
import { readTextIfExists } from "../util/mod.ts";
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
import { parseRouteSpec, ROUTES_VAR, type RouteSpec } from "../receive/mod.ts";
import { ExitCode } from "./exit_codes.ts";
import type { Output } from "./output.ts";
import { parseCommandArgs } from "./args.ts";
import type { Command } from "./command.ts";
import { providerSetup } from "./provider_setup.ts";

/** The secrets init makes; each is created only where `.env` has none. */
const SECRET_VARS = [SECRET_VAR, TOKEN_SECRET_VAR];
const GITIGNORE_LINES = [".env", ".hookgate/"];

const HELP = `hookgate init — set up secrets the safe way

Usage: hookgate init [--route PATH=SCHEME:SECRET_VAR]...

Creates .env from .env.example (or the built-in template) with a fresh
${SECRET_VAR} and ${TOKEN_SECRET_VAR} (32 random bytes each from the
CSPRNG, base64url). The file is written atomically with mode 0600 and no
secret is ever printed. Adds the lines .env and .hookgate/ to .gitignore
(creating it if needed, never twice).

Safe to run again: a secret already in .env is never overwritten (use
'hookgate rotate' to replace one); only missing or empty ones are filled in.

Inside a git repository where .env is already tracked, init changes nothing,
explains the fix and exits 78.

With --route, each route's secret is made in its provider's format (github: a
random hex string; standard: whsec_ + base64; hookgate: base64url; stripe:
Stripe makes it, init says where to paste it), the routes are written to
HOOKGATE_ROUTES in .env so 'hookgate serve' uses them, and the next step for
that provider is printed.

Options:
  --route SPEC  PATH=SCHEME:SECRET_VAR, repeatable; SCHEME: hookgate, standard,
                github, stripe
  -h, --help    show this help

Examples:
  hookgate init
  hookgate init --route /github=github:GITHUB_WEBHOOK_SECRET

Exit codes: 0 set up · 64 usage · 78 .env is tracked by git.
Then run 'hookgate doctor' to check the whole set-up.`;

const TRACKED = `.env is tracked by git, so the secrets in it are already in the repository.
Fix: run 'git rm --cached .env' and commit (the file stays on disk; .gitignore keeps it out),
then rotate every secret it holds: empty the value of ${SECRET_VAR} in .env, run 'hookgate init'
again, and give the new secret to your senders. init changed nothing.`;

interface SecretPlan {
  /** Secrets `.env` already holds: never touched. */
  kept: string[];
  /** Secrets to write, by name. */
  fresh: Record<string, string>;
}

function planSecrets(existing: string | null, routes: RouteSpec[]): SecretPlan {
  // Values in a template are placeholders (and public): only a real .env has secrets to keep.
  const current = existing === null ? {} : parseDotenv(existing);
  const makers = new Map<string, () => string | null>(
    SECRET_VARS.map((name) => [name, () => randomSecret()]),
  );
  for (const route of routes) {
    makers.set(route.secretVar, providerSetup(route.scheme.name).newSecret);
  }
  const kept = [...makers.keys()].filter((name) => (current[name] ?? "").trim() !== "");
  const fresh: Record<string, string> = {};
  for (const [name, make] of makers) {
    const value = kept.includes(name) ? null : make();
    if (value !== null) fresh[name] = value;
  }
  return { kept, fresh };
}

/** HOOKGATE_ROUTES after init: the routes .env had, with the given ones added or replaced by path. */
function mergedRoutes(
  existing: string | null,
  routes: RouteSpec[],
  given: string[],
): string | null {
  if (routes.length === 0) return null;
  const current = existing === null ? "" : parseDotenv(existing)[ROUTES_VAR] ?? "";
  const kept = current.split(",").map((spec) => spec.trim()).filter((spec) =>
    spec !== "" && !routes.some((route) => spec.startsWith(`${route.path}=`))
  );
  return [...kept, ...given.map((spec) => spec.trim())].join(",");
}

/**
 * A `.env` that is a symbolic link is refused (by init and rotate): narrowing its mode would
 * change the file it points to, wherever that is, and rewriting it would replace the link.
 */
export async function refuseLinkedEnv(path: string, command = "init"): Promise<void> {
  const info = await Deno.lstat(path).catch(() => null);
  if (info?.isSymlink) {
    throw configError(
      ".env is a symbolic link: hookgate keeps its secrets only in a regular file. Replace the " +
        'link with the file (cp --remove-destination "$(readlink -f .env)" .env) and run ' +
        `${command} again`,
    );
  }
}

async function makePrivate(path: string, output: Output): Promise<void> {
  const { mode } = await Deno.stat(path);
  if (mode === null || (mode & 0o077) === 0) return;
  await Deno.chmod(path, 0o600);
  output.out(`set .env to mode 0600 (it was ${(mode & 0o777).toString(8).padStart(4, "0")})`);
}

/** Fills in the secrets .env lacks and makes sure it is private to its owner. */
async function writeSecrets(
  cwd: string,
  output: Output,
  routes: { specs: RouteSpec[]; given: string[] },
): Promise<void> {
  const envPath = `${cwd}/.env`;
  await refuseLinkedEnv(envPath);
  const existing = await readTextIfExists(envPath);
  const example = existing === null ? await readTextIfExists(`${cwd}/.env.example`) : null;
  const { kept, fresh } = planSecrets(existing, routes.specs);
  const routesValue = mergedRoutes(existing, routes.specs, routes.given);
  output.protect(Object.values(fresh));
  for (const name of kept) {
    output.out(`${name} is already set in .env: kept (init never overwrites a secret)`);
  }
  const made = Object.keys(fresh);
  if (made.length === 0 && routesValue === null) return await makePrivate(envPath, output);
  await writeEnvFile(
    envPath,
    setEnvValues(existing ?? example ?? ENV_TEMPLATE, {
      ...fresh,
      ...(routesValue === null ? {} : { [ROUTES_VAR]: routesValue }),
    }),
  );
  const what = existing !== null
    ? "updated .env"
    : `created .env from ${example !== null ? ".env.example" : "the built-in template"}`;
  if (made.length > 0) {
    output.out(
      `${what} (mode 0600): new ${made.join(", ")}, 32 random bytes${
        made.length > 1 ? " each" : ""
      } (never printed)`,
    );
  }
  if (routesValue !== null) {
    // HOOKGATE_ROUTES replaces the default route: say so, or /webhook just stops answering.
    const keepsDefault = routesValue.split(",").some((spec) => spec.startsWith("/webhook="));
    output.out(
      `${ROUTES_VAR} in .env: ${routesValue}` +
        (keepsDefault ? "" : ` (serve answers only these now, no longer POST /webhook; ` +
          `to keep it: hookgate init --route /webhook=hookgate:${SECRET_VAR})`),
    );
  }
  for (const route of routes.specs) {
    const setup = providerSetup(route.scheme.name);
    output.out(
      `route ${route.path} (${route.scheme.name}): next: ${
        setup.nextStep(route.secretVar, route.path)
      }`,
    );
  }
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
        "run 'hookgate doctor' for the fix",
    );
  }
}

export const initCommand: Command = {
  help: HELP,
  async run({ args, cwd, output }) {
    const { values, positionals } = parseCommandArgs("init", args, {
      route: { type: "string", multiple: true },
    });
    if (positionals.length > 0) {
      throw usageError(`init takes no arguments, got '${positionals[0]}'`);
    }
    const given = values.route ?? [];
    const specs: RouteSpec[] = [];
    for (const text of given) {
      const spec = parseRouteSpec(text, { source: "--route" });
      if (!spec.ok) throw usageError(spec.reason);
      specs.push(spec.value);
    }
    const git = await readGitFacts(cwd, ".env");
    if (git.kind === "repo" && git.tracked) throw configError(TRACKED);
    await writeSecrets(cwd, output, { specs, given });
    await updateGitignore(cwd, output);
    reportGit(git, output);
    output.out("next: run 'hookgate doctor' to check the set-up");
    return ExitCode.ok;
  },
};

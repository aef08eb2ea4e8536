/**
 * `hookgate doctor`: gathers the facts of the set-up (.env, its mode, .gitignore, git) and
 * prints the checks of lib/setup/doctor_checks.ts, which are pure so each is unit-tested.
 */
import { errorMessage, readTextIfExists } from "../util/mod.ts";
import { usageError } from "./cli_error.ts";
import {
  type CheckResult,
  type DoctorFacts,
  type EnvFileFact,
  formatCheck,
  readGitFacts,
  runDoctorChecks,
} from "../setup/mod.ts";
import {
  buildRoutes,
  DEFAULT_TOLERANCE_SECONDS,
  hasRoutesVar,
  ROUTES_VAR,
} from "../receive/mod.ts";
import { ExitCode } from "./exit_codes.ts";
import { routeProblem } from "./provider_setup.ts";
import { parseCommandArgs } from "./args.ts";
import type { Command } from "./command.ts";

const HELP = `hookgate doctor — check the set-up and say what to fix

Usage: hookgate doctor

One line per check, each ok, warn, FAIL or skip, with the fix for anything
not ok:
  .env exists and defines WEBHOOK_SECRET
  .gitignore contains the exact line .env
  .env is not tracked by git and never appears in git history
  .env is not readable by other users (mode 0600)
  WEBHOOK_SECRET is at least 32 bytes and not the published example value (a warning)
  EGRESS_ALLOW_HOSTS is set (a warning: without it the agent reaches no host)
  agents started by 'serve --exec' run as a user of their own (HOOKGATE_EXEC_USER; a warning)
  with HOOKGATE_ROUTES set: each route's secret is set and well-formed, as serve needs
Outside a git repository the git checks are skipped with a note. No secret
is ever printed.

Options:
  -h, --help  show this help

Example:
  hookgate doctor

Exit codes: 0 nothing failed (warnings allowed) · 64 usage · 78 a check failed.`;

/**
 * The routes of HOOKGATE_ROUTES, checked as serve checks them at start: a route
 * whose secret is missing or malformed would stop serve with exit 78.
 */
function checkRoutes(env: Record<string, string>): CheckResult[] {
  if (!hasRoutesVar(env)) return [];
  const routes = buildRoutes(env, {
    toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
    routeSpecs: [],
    nowMs: Date.now(),
  });
  if (!routes.ok) {
    return [{ id: "routes", status: "FAIL", message: routeProblem(routes.reason, env, []) }];
  }
  const listed = routes.value.map((route) => `${route.path} (${route.scheme.name})`).join(", ");
  return [{
    id: "routes",
    status: "ok",
    message: `${ROUTES_VAR}: ${listed}, each with its secret set`,
  }];
}

async function readEnvFileFact(path: string): Promise<EnvFileFact> {
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) return { kind: "unreadable", reason: "it is not a regular file" };
    return { kind: "present", text: await Deno.readTextFile(path), mode: info.mode };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { kind: "missing" };
    if (error instanceof Deno.errors.NotCapable) throw error;
    return { kind: "unreadable", reason: errorMessage(error) };
  }
}

function summary(checks: CheckResult[]): string {
  const failed = checks.filter((check) => check.status === "FAIL").length;
  const warned = checks.filter((check) => check.status === "warn").length;
  if (failed === 0 && warned === 0) return "doctor: all checks passed";
  const parts = [
    ...(failed > 0 ? [`${failed} failed`] : []),
    ...(warned > 0 ? [`${warned} ${warned === 1 ? "warning" : "warnings"}`] : []),
  ];
  return `doctor: ${parts.join(", ")}${failed > 0 ? ": fix the FAIL lines and run it again" : ""}`;
}

export const doctorCommand: Command = {
  help: HELP,
  async run({ args, env, cwd, output }) {
    const { positionals } = parseCommandArgs("doctor", args, {});
    if (positionals.length > 0) {
      throw usageError(`doctor takes no arguments, got '${positionals[0]}'`);
    }
    const [envFile, gitignore, git] = await Promise.all([
      readEnvFileFact(`${cwd}/.env`),
      readTextIfExists(`${cwd}/.gitignore`),
      readGitFacts(cwd, ".env"),
    ]);
    const facts: DoctorFacts = { envFile, gitignore, git, env };
    const checks = [...runDoctorChecks(facts), ...checkRoutes(env)];
    for (const check of checks) output.out(formatCheck(check));
    output.out(summary(checks));
    return checks.some((check) => check.status === "FAIL") ? ExitCode.config : ExitCode.ok;
  },
};

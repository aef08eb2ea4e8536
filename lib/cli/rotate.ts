/**
 * `hookgate rotate`: a new secret in `.env` while the old one keeps verifying until its
 * expiry (`<VAR>_PREVIOUS`), in the format of the route's provider, so a secret is replaced
 * without dropping deliveries signed with the old one.
 */
import { configError, usageError } from "./cli_error.ts";
import {
  parseDotenv,
  parseDurationMs,
  SECRET_VAR,
  TOKEN_SECRET_VAR,
  writeEnvFile,
} from "../setup/mod.ts";
import { schemeByName, SCHEMES } from "../schemes/mod.ts";
import { ExitCode } from "./exit_codes.ts";
import {
  formatExpiry,
  hasRoutesVar,
  parseRouteSpecs,
  PREVIOUS_SUFFIX,
  rotateEnvText,
} from "../receive/mod.ts";
import { noPositionals, numberFlag, parseCommandArgs, valueFlags } from "./args.ts";
import type { Command, CommandContext } from "./command.ts";
import { providerSetup } from "./provider_setup.ts";
import { refuseLinkedEnv } from "./init.ts";

const DEFAULT_GRACE_MS = 24 * 3_600_000;
const MAX_GRACE_MS = 365 * 86_400_000;
const FORMATS = ["base64url", "whsec"] as const;
type Format = typeof FORMATS[number];
/** The scheme each --format stands for. */
const FORMAT_SCHEME: Record<Format, string> = { base64url: "hookgate", whsec: "standard" };

const HELP = `hookgate rotate — replace a secret in .env without downtime

Usage: hookgate rotate [--var NAME] [--grace DURATION] [--scheme NAME | --format FORMAT]

Generates a new 32-byte secret for NAME, moves the current value to
NAME${PREVIOUS_SUFFIX} with an expiry of now + grace (dropping entries that have
expired), and rewrites .env atomically with mode 0600. No secret is printed:
the new value is in .env. Until the expiry, 'serve' (restarted to load .env)
verifies deliveries signed with either secret, and 'send' signs with both where
the scheme carries several signatures (standard, stripe).

Options:
  --var NAME         the variable to rotate (default ${SECRET_VAR})
  --grace DURATION   how long the old secret keeps verifying: 30m, 24h, 7d, with
                     its unit (default ${DEFAULT_GRACE_MS / 3_600_000}h, at most 365d)
  --scheme NAME      the provider NAME belongs to: hookgate (base64url), github
                     (random hex), standard (whsec_ + base64); default: the scheme
                     of the route in HOOKGATE_ROUTES that uses NAME, else standard
                     when the current value starts with whsec_, else hookgate
  --format FORMAT    base64url or whsec (the same as --scheme hookgate or standard)
  -h, --help         show this help

${SECRET_VAR}${PREVIOUS_SUFFIX} holds comma-separated SECRET@YYYY-MM-DDTHH:MM:SSZ entries.
Stripe makes its own signing secrets. Roll one in Stripe's dashboard, then edit .env.

Examples:
  hookgate rotate --grace 1h      # ${SECRET_VAR}; the old one verifies for 1 hour more
  hookgate rotate --var GITHUB_WEBHOOK_SECRET --grace 7d   # a route's secret (init --route)

Exit codes: 0 rotated · 64 usage · 78 .env missing, a bad ${PREVIOUS_SUFFIX} list, or the
variable set in the real environment (which would override .env).`;

const FLAGS = valueFlags("var", "scheme", "grace", "format");

interface Target {
  scheme: string;
  /** The route's path, for the next step ("/webhook" when no route names the variable). */
  path: string;
  /** Whether serve reads the variable: a route's secret, or one of hookgate's own. */
  used: boolean;
}

/** The provider `varName` belongs to: --scheme, else its route, else its current value's shape. */
function chooseScheme(
  context: CommandContext,
  varName: string,
  current: string | undefined,
  flags: { scheme?: string; format?: string },
): Target {
  const specs = parseRouteSpecs(context.env, []);
  const route = specs.ok ? specs.value.find((s) => s.secretVar === varName) : undefined;
  const scheme = flags.scheme ??
    (flags.format === undefined ? undefined : FORMAT_SCHEME[flags.format as Format]) ??
    route?.scheme.name ??
    ((current ?? "").startsWith("whsec_") ? "standard" : "hookgate");
  if (schemeByName(scheme) === null) {
    throw usageError(`--scheme must be one of ${Object.keys(SCHEMES).join(", ")}, got '${scheme}'`);
  }
  if (scheme === "stripe") {
    throw configError(
      `${varName} belongs to a stripe route, so Stripe makes that signing secret. Roll it in ` +
        `Stripe's dashboard, put the new value in .env, and list the old one in ` +
        `${varName}${PREVIOUS_SUFFIX} as SECRET@YYYY-MM-DDTHH:MM:SSZ`,
    );
  }
  const used = route !== undefined || varName === TOKEN_SECRET_VAR ||
    (varName === SECRET_VAR && !hasRoutesVar(context.env));
  return { scheme, path: route?.path ?? "/webhook", used };
}

async function readEnvText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw configError(`.env not found in the working directory: run 'hookgate init' first`);
    }
    throw error;
  }
}

export const rotateCommand: Command = {
  help: HELP,
  async run(context) {
    const { values, positionals } = parseCommandArgs("rotate", context.args, FLAGS);
    noPositionals("rotate", positionals);
    const varName = values.var ?? SECRET_VAR;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(varName) || varName.endsWith(PREVIOUS_SUFFIX)) {
      throw usageError(`--var must name a secret variable such as ${SECRET_VAR}`);
    }
    // A bare number elsewhere means seconds; here that would end the old secret before any
    // sender has switched, so the unit must be written.
    if (values.grace !== undefined && /^\s*[0-9]+\s*$/.test(values.grace)) {
      const n = values.grace.trim();
      throw usageError(
        `--grace needs a unit: '${n}' alone would be ${n} seconds; write ${n}h, ${n}d or ${n}s`,
      );
    }
    const graceMs = numberFlag("--grace", values.grace, parseDurationMs, {
      fallback: DEFAULT_GRACE_MS,
      max: MAX_GRACE_MS,
      tooLarge: "--grace must be at most 365d",
    });
    if (values.format !== undefined && !(FORMATS as readonly string[]).includes(values.format)) {
      throw usageError(`--format must be one of ${FORMATS.join(", ")}`);
    }

    const envPath = `${context.cwd}/.env`;
    // The atomic rewrite would replace a link with a file, leaving its target's old secret.
    await refuseLinkedEnv(envPath, "rotate");
    const text = await readEnvText(envPath);
    const rotatedFrom = parseDotenv(text)[varName];
    if (context.env[varName] !== undefined && context.env[varName] !== rotatedFrom) {
      throw configError(
        `${varName} is set in the environment, which overrides .env, so rotating .env would not ` +
          `take effect: unset it there (or rotate it where it is set)`,
      );
    }
    const target = chooseScheme(context, varName, rotatedFrom, values);
    const setup = providerSetup(target.scheme);
    const secret = setup.newSecret() as string;
    // A value the scheme cannot use (base64url where whsec_ is expected) verifies nothing:
    // it is dropped, not kept for the grace period.
    const usable = rotatedFrom === undefined || rotatedFrom.trim() === "" ||
      (schemeByName(target.scheme)?.secretBytes(rotatedFrom).ok ?? true);
    context.output.protect([secret, ...(rotatedFrom ? [rotatedFrom] : [])]);
    const nowMs = Date.now();
    const rotation = rotateEnvText(text, {
      varName,
      newSecret: secret,
      graceMs,
      nowMs,
      keepCurrent: usable,
    });
    if (!rotation.ok) throw configError(rotation.reason);
    await writeEnvFile(envPath, rotation.value.text);

    const { expiresAtMs, droppedExpired, created } = rotation.value;
    context.output.out(
      `${created ? "created" : "rotated"} ${varName} in .env (${target.scheme}: ${setup.format}, ` +
        `32 random bytes; the value is not printed)`,
    );
    if (created && !target.used) {
      // A typo in --var makes a secret nothing reads, and the one meant stays as it was.
      context.output.err(
        `hookgate: warning: ${varName} was not in .env and no route uses it, so serve does not ` +
          `read it: if you meant another variable, delete the ${varName} line from .env and ` +
          `rotate that one; to use it, add a route: hookgate init --route PATH=SCHEME:${varName}`,
      );
    }
    if (!usable) {
      context.output.out(
        `the old value of ${varName} was not a valid ${target.scheme} secret, so it was dropped ` +
          `instead of kept in ${varName}${PREVIOUS_SUFFIX}`,
      );
    }
    if (expiresAtMs !== null) {
      context.output.out(
        `the old secret keeps verifying until ${formatExpiry(expiresAtMs)} ` +
          `(${varName}${PREVIOUS_SUFFIX})`,
      );
    }
    if (droppedExpired > 0) {
      context.output.out(
        `dropped ${droppedExpired} expired secret(s) from ${varName}${PREVIOUS_SUFFIX}`,
      );
    }
    context.output.err(
      `next: ${setup.nextStep(varName, target.path)}; then restart 'hookgate serve'` +
        (created || !usable ? "" : " (it verifies both secrets until the old one expires)"),
    );
    return ExitCode.ok;
  },
};

import { configError, usageError } from "./cli_error.ts";
import {
  parseDotenv,
  parseDurationMs,
  randomSecret,
  SECRET_VAR,
  writeEnvFile,
} from "../setup/mod.ts";
import { toBase64 } from "../util/mod.ts";
import { ExitCode } from "./exit_codes.ts";
import { formatExpiry, parseRouteSpecs, PREVIOUS_SUFFIX, rotateEnvText } from "../receive/mod.ts";
import { parseCommandArgs } from "./args.ts";
import type { Command, CommandContext } from "./command.ts";

const DEFAULT_GRACE = "24h";
const MAX_GRACE_MS = 365 * 86_400_000;
const FORMATS = ["base64url", "whsec"] as const;
type Format = typeof FORMATS[number];

const HELP = `hookgate rotate: replace a secret in .env without downtime

Usage: hookgate rotate [--var NAME] [--grace DURATION] [--format FORMAT]

Generates a new 32-byte secret for NAME, moves the current value to
NAME${PREVIOUS_SUFFIX} with an expiry of now + grace (dropping entries that have
expired), and rewrites .env atomically with mode 0600. No secret is printed:
the new value is in .env. Until the expiry, 'serve' (restarted to load .env)
verifies deliveries signed with either secret, and 'send' signs with both where
the scheme carries several signatures (standard, stripe).

Options:
  --var NAME         the variable to rotate (default ${SECRET_VAR})
  --grace DURATION   how long the old secret keeps verifying: 30m, 24h, 7d
                     (default ${DEFAULT_GRACE}, at most 365d)
  --format FORMAT    base64url (hookgate, github) or whsec ('whsec_' + base64, for a
                     standard route); default: whsec when a standard route in
                     HOOKGATE_ROUTES uses NAME or the current value starts with whsec_
  -h, --help         show this help

${SECRET_VAR}${PREVIOUS_SUFFIX} holds comma-separated SECRET@YYYY-MM-DDTHH:MM:SSZ entries.
Stripe makes its own signing secrets: roll one in Stripe's dashboard, then edit .env.
Exit codes: 0 rotated · 64 usage · 78 .env missing, a bad ${PREVIOUS_SUFFIX} list, or the
variable set in the real environment (which would override .env).`;

const FLAGS = {
  var: { type: "string" },
  grace: { type: "string" },
  format: { type: "string" },
} as const;

function newSecret(format: Format): string {
  if (format === "whsec") return `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
  return randomSecret({ bytes: 32 });
}

/** The format the routes using `varName` need: a standard route reads `whsec_` + base64. */
function chooseFormat(
  context: CommandContext,
  varName: string,
  current: string | undefined,
): Format {
  const specs = parseRouteSpecs(context.env, []);
  const schemes = specs.ok
    ? specs.value.filter((s) => s.secretVar === varName).map((s) => s.scheme.name)
    : [];
  if (schemes.includes("stripe")) {
    throw configError(
      `${varName} belongs to a stripe route, so Stripe makes that signing secret. Roll it in ` +
        `Stripe's dashboard, put the new value in .env, and list the old one in ` +
        `${varName}${PREVIOUS_SUFFIX} as SECRET@YYYY-MM-DDTHH:MM:SSZ`,
    );
  }
  return schemes.includes("standard") || (current ?? "").startsWith("whsec_")
    ? "whsec"
    : "base64url";
}

async function readEnvText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw configError(`.env not found in the working directory: run 'deno task init' first`);
    }
    throw error;
  }
}

export const rotateCommand: Command = {
  help: HELP,
  async run(context) {
    const { values, positionals } = parseCommandArgs("rotate", context.args, FLAGS);
    if (positionals.length > 0) {
      throw usageError(`unexpected argument '${positionals[0]}'\nRun 'hookgate rotate --help'.`);
    }
    const varName = values.var ?? SECRET_VAR;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(varName) || varName.endsWith(PREVIOUS_SUFFIX)) {
      throw usageError(`--var must name a secret variable such as ${SECRET_VAR}`);
    }
    const grace = parseDurationMs("--grace", values.grace ?? DEFAULT_GRACE);
    if (!grace.ok) throw usageError(grace.reason);
    if (grace.value > MAX_GRACE_MS) throw usageError("--grace must be at most 365d");
    if (values.format !== undefined && !(FORMATS as readonly string[]).includes(values.format)) {
      throw usageError(`--format must be one of ${FORMATS.join(", ")}`);
    }

    const envPath = `${context.cwd}/.env`;
    const text = await readEnvText(envPath);
    const rotatedFrom = parseDotenv(text)[varName];
    if (context.env[varName] !== undefined && context.env[varName] !== rotatedFrom) {
      throw configError(
        `${varName} is set in the environment, which overrides .env, so rotating .env would not ` +
          `take effect: unset it there (or rotate it where it is set)`,
      );
    }
    const format = values.format as Format | undefined ??
      chooseFormat(context, varName, rotatedFrom);
    const secret = newSecret(format);
    context.output.protect([secret, ...(rotatedFrom ? [rotatedFrom] : [])]);
    const nowMs = Date.now();
    const rotation = rotateEnvText(text, {
      varName,
      newSecret: secret,
      graceMs: grace.value,
      nowMs,
    });
    if (!rotation.ok) throw configError(rotation.reason);
    await writeEnvFile(envPath, rotation.value.text);

    const { expiresAtMs, droppedExpired, created } = rotation.value;
    context.output.out(
      `${created ? "created" : "rotated"} ${varName} in .env (${format}, 32 random bytes; ` +
        `the value is not printed)`,
    );
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
      created
        ? `next: give the new secret to your senders (GitHub: repository Settings → Webhooks → ` +
          `Edit → Secret) and restart 'hookgate serve'`
        : `next: restart 'hookgate serve' so it loads both secrets, and give the new one to your ` +
          `senders before the old one expires (GitHub: repository Settings → Webhooks → Edit → Secret)`,
    );
    return ExitCode.ok;
  },
};

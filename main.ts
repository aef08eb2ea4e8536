/**
 * hookgate: parses argv, dispatches to one module per command under lib/cli/,
 * maps errors to exit codes. The only place that sets the process exit code.
 */
import denoConfig from "./deno.json" with { type: "json" };
import { CliError } from "./lib/cli_error.ts";
import { COMMANDS } from "./lib/cli/commands.ts";
import { loadEnv } from "./lib/env_loader.ts";
import { ExitCode } from "./lib/exit_codes.ts";
import { createOutput, type Output } from "./lib/output.ts";
import { createRedactor, secretValuesFromEnv } from "./lib/redact.ts";

export const VERSION: string = denoConfig.version;

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, entry]) =>
    `  ${name.padEnd(width)}  ${entry.summary}`
  );
  return [
    `hookgate ${VERSION}: receive webhooks safely, send them signed, fetch only allowlisted hosts`,
    "",
    "Usage: hookgate <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Options:",
    "  -h, --help     show this help (or a command's, after its name)",
    "  -V, --version  print the version",
    "",
    "Secrets come from the environment or .env in the working directory.",
  ].join("\n");
}

export async function main(args: string[]): Promise<ExitCode> {
  const [name, ...rest] = args;
  const early = createOutput();
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    if (name === undefined) {
      early.err(usage());
      return ExitCode.usage;
    }
    early.out(usage());
    return ExitCode.ok;
  }
  if (name === "--version" || name === "-V") {
    early.out(`hookgate ${VERSION}`);
    return ExitCode.ok;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    early.err(`unknown command '${name}'\n\n${usage()}`);
    return ExitCode.usage;
  }
  let output: Output = early;
  try {
    const env = loadEnv();
    output = createOutput({ redactor: createRedactor({ secrets: secretValuesFromEnv(env) }) });
    const command = await entry.load();
    if (rest.includes("--help") || rest.includes("-h")) {
      output.out(command.help);
      return ExitCode.ok;
    }
    return await command.run({ args: rest, env, cwd: Deno.cwd(), output });
  } catch (error) {
    return reportError(error, output);
  }
}

function reportError(error: unknown, output: Output): ExitCode {
  if (error instanceof CliError) {
    output.err(`hookgate: ${error.message}`);
    return error.exitCode;
  }
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    output.err(`hookgate: permission denied: ${error.message}`);
    return ExitCode.denied;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  output.err(`hookgate: internal error (a bug; please report it):\n${detail}`);
  return ExitCode.software;
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}

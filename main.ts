/**
 * hookgate: parses argv, dispatches to one module per command under lib/cli/,
 * maps errors to exit codes. The only place that sets the process exit code.
 */
import { errorMessage } from "./lib/util/mod.ts";
import denoConfig from "./deno.json" with { type: "json" };
import {
  CliError,
  type Command,
  COMMANDS,
  configError,
  createOutput,
  ExitCode,
  knownSecrets,
  type Output,
  permissionDeniedMessage,
  printable,
  suggest,
} from "./lib/cli/mod.ts";
import { loadEnv, narrowToTask } from "./lib/setup/mod.ts";
import { createRedactor } from "./lib/redact/mod.ts";

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
    "",
    "Examples:",
    "  hookgate init                      # .env with strong secrets, gitignored",
    "  hookgate serve --exec ./agent.sh   # receive on http://127.0.0.1:8000/webhook",
    '  hookgate send http://127.0.0.1:8000/webhook --data \'{"id":"e1"}\'',
    "  hookgate serve --help              # a command's own options and examples",
  ].join("\n");
}

export async function main(args: string[]): Promise<ExitCode> {
  const [name, ...rest] = args;
  const early = createOutput();
  if (name === undefined) {
    early.err(usage());
    return ExitCode.usage;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" ? rest[0] : undefined;
    if (topic === undefined) {
      early.out(usage());
      return ExitCode.ok;
    }
    // `help X` is `X --help`, including its "unknown command" answer.
    return await main([topic, "--help"]);
  }
  if (name === "--version" || name === "-V") {
    early.out(`hookgate ${VERSION}`);
    return ExitCode.ok;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    const what = name.startsWith("-") ? "option" : "command";
    // `version` and `-v` are not hookgate's, but what the user wants is plain.
    const hint = name === "version" || name === "-v" ? "--version" : suggest(
      name,
      name.startsWith("-") ? ["--help", "--version"] : Object.keys(COMMANDS),
    );
    early.err(
      `hookgate: unknown ${what} '${name}'${hint ? `: did you mean '${hint}'?` : ""}\n` +
        "Run 'hookgate --help' for the list of commands.",
    );
    return ExitCode.usage;
  }
  let output: Output = early;
  let command: Command | undefined;
  try {
    command = await entry.load();
    // Help needs neither .env nor its permissions, so it comes before loading them.
    if (wantsHelp(rest)) {
      early.out(command.help);
      return ExitCode.ok;
    }
    await narrowToTask(name);
    const cwd = Deno.cwd();
    const env = loadEnvOrExplain(cwd);
    output = createOutput({ redactor: createRedactor({ secrets: await knownSecrets(env) }) });
    return await command.run({ args: rest, env, cwd, output });
  } catch (error) {
    return reportError(error, output, command, name);
  }
}

/** `-h`/`--help` anywhere before a `--` (after it, they are operands). */
function wantsHelp(args: string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === "--help" || arg === "-h");
}

function loadEnvOrExplain(cwd: string): Record<string, string> {
  try {
    return loadEnv({ cwd });
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) throw error;
    const reason = errorMessage(error);
    throw configError(
      `cannot read .env in ${cwd} (${reason}): make it a regular file you own, mode 0600 ` +
        "(chmod 600 .env)",
    );
  }
}

/** The "Usage:" paragraph of a command's help, for a usage error on stderr. */
function usageOf(command: Command): string | null {
  const start = command.help.indexOf("Usage:");
  if (start === -1) return null;
  const end = command.help.indexOf("\n\n", start);
  return command.help.slice(start, end === -1 ? undefined : end);
}

/** What a command's error says on stderr, and the exit code it gives. */
export function reportError(
  error: unknown,
  output: Output,
  command?: Command,
  name?: string,
): ExitCode {
  if (error instanceof CliError) {
    output.err(`hookgate: ${error.message}`);
    const commandUsage = command ? usageOf(command) : null;
    if (error.exitCode === ExitCode.usage && commandUsage) output.err(`\n${commandUsage}`);
    return error.exitCode;
  }
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    output.err(`hookgate: permission denied: ${permissionDeniedMessage(name, error.message)}`);
    return ExitCode.denied;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  // A message may quote text from outside (JSON.parse quotes the text it failed on): its control
  // characters are spelled out, line by line so the stack keeps its shape.
  const lines = detail.split("\n").map(printable).join("\n");
  output.err(`hookgate: internal error (a bug; please report it):\n${lines}`);
  return ExitCode.software;
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}

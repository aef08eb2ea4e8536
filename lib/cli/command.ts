/**
 * The shape of a command: its help text and a `run` that gets everything it needs (args,
 * environment, working directory, output) passed in, so commands are tested without a process.
 */
import type { ExitCode } from "./exit_codes.ts";
import type { Output } from "./output.ts";

/** What every subcommand is given: nothing global, everything passed in. */
export interface CommandContext {
  /** The arguments after the command name. */
  args: string[];
  /** The environment: `.env` overlaid by the real environment. */
  env: Record<string, string>;
  cwd: string;
  output: Output;
}

export interface Command {
  /** `--help` text, printed to stdout. */
  help: string;
  run(context: CommandContext): Promise<ExitCode> | ExitCode;
}

/**
 * The error a command throws for an expected failure, carrying its exit code: main.ts turns
 * it into one redacted line and that code, never a stack trace.
 */
import { ExitCode } from "./exit_codes.ts";

/**
 * An expected failure of a command, with the exit code it maps to. The message
 * says what failed and how to fix it, and names variables, never their values.
 */
export class CliError extends Error {
  readonly exitCode: ExitCode;

  constructor(exitCode: ExitCode, message: string) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

export function usageError(message: string): CliError {
  return new CliError(ExitCode.usage, message);
}

export function configError(message: string): CliError {
  return new CliError(ExitCode.config, message);
}

/**
 * The CLI's public surface: the command table, argument parsing, errors, exit
 * codes and output. Each command module (serve.ts, send.ts, …) is loaded
 * lazily through COMMANDS, so this file must not re-export them: a command
 * would otherwise pay for every other command's imports at start.
 */
export * from "./args.ts";
export * from "./cli_error.ts";
export * from "./command.ts";
export * from "./commands.ts";
export * from "./exec_settings.ts";
export * from "./exit_codes.ts";
export * from "./output.ts";
export * from "./trace_flags.ts";
export * from "./did_you_mean.ts";
export * from "./permission_hint.ts";
export * from "./printable.ts";
export * from "./known_secrets.ts";

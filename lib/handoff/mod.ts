/**
 * The `--exec` hand-off's public surface: settings and start-up checks, the exec handler
 * serve's consumer calls, the containment launcher, and the wait between failed attempts
 * (`execRetryDelayMs`; whether an event is retried or becomes a dead letter is the store's
 * `settledStatus`).
 */
export * from "./exec_env.ts";
export * from "./exec_handler.ts";
export * from "./exec_preflight.ts";
export * from "./exec_settings.ts";
export * from "./launcher.ts";
export * from "./pipes.ts";
export * from "./program.ts";
export * from "./run_exec.ts";

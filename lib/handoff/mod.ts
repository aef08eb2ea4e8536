export * from "./exec_env.ts";
export * from "./exec_handler.ts";
export * from "./exec_preflight.ts";
export * from "./exec_settings.ts";
export * from "./launcher.ts";
export * from "./pipes.ts";
export * from "./program.ts";
export * from "./run_exec.ts";

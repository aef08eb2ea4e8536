export * from "./exec_runner.ts";
export * from "./retry_policy.ts";

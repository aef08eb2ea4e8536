export * from "./encoding.ts";
export * from "./hmac.ts";
export * from "./result.ts";
export * from "./errors.ts";
export * from "./limiter.ts";
export * from "./sleep.ts";
export * from "./network_error.ts";
export * from "./private_files.ts";

/**
 * Small helpers shared by every folder; each exists once here (errorMessage, sleep,
 * createLimiter …), so the rest of the code never grows a second copy.
 */
export * from "./encoding.ts";
export * from "./hmac.ts";
export * from "./result.ts";
export * from "./errors.ts";
export * from "./limiter.ts";
export * from "./sleep.ts";
export * from "./network_error.ts";
export * from "./private_files.ts";
export * from "./windowed_tally.ts";
export * from "./text_file.ts";
export * from "./wakeup.ts";
export * from "./joined_keys.ts";

export * from "./redact.ts";
export * from "./redact_stream.ts";
export * from "./secret_key.ts";

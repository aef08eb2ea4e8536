export * from "./redact/mod.ts";

export * from "./trace.ts";
export * from "./trace_sink.ts";
export * from "./trace_refusals.ts";

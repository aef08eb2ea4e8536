/**
 * The trace's public surface: the JSONL writer, the sink interface, and the summary of
 * refusals that keeps a flood from rotating accepted events out.
 */
export * from "./trace.ts";
export * from "./trace_sink.ts";
export * from "./trace_refusals.ts";

/**
 * The trace flags every tracing command accepts (`--trace`, `--trace-max-bytes`,
 * `--trace-keep`, `--no-trace`), their help lines, and opening the trace they ask for.
 */
import { parsePositiveInt } from "../setup/mod.ts";
import type { Redactor } from "../redact/mod.ts";
import {
  DEFAULT_TRACE_KEEP,
  DEFAULT_TRACE_MAX_BYTES,
  DEFAULT_TRACE_PATH,
  NULL_TRACE,
  openTrace,
  TraceOpenError,
  type TraceOptions,
  type TraceSink,
} from "../trace/mod.ts";
import { configError, usageError } from "./cli_error.ts";
import { numberFlag, valueFlags } from "./args.ts";

/** The trace flags every tracing command accepts; spread into its `parseCommandArgs` options. */
export const TRACE_FLAGS = {
  ...valueFlags("trace", "trace-max-bytes", "trace-keep"),
  "no-trace": { type: "boolean" },
} as const;

/** Help lines for `TRACE_FLAGS`, to paste into a command's help text. */
export const TRACE_HELP =
  `  --trace PATH         JSONL trace of what happened (default ${DEFAULT_TRACE_PATH})
  --trace-max-bytes N  rotate the trace to PATH.1 past this size (default ${DEFAULT_TRACE_MAX_BYTES})
  --trace-keep N       rotated files kept, PATH.1 (newest) to PATH.N (default ${DEFAULT_TRACE_KEEP})
  --no-trace           write no trace`;

export interface TraceFlagValues {
  trace?: string;
  "trace-max-bytes"?: string;
  "trace-keep"?: string;
  "no-trace"?: boolean;
}

export interface TraceFromFlagsOptions
  extends Omit<TraceOptions, "maxBytes" | "keep" | "redactor"> {
  /** Relative paths are taken from here (the command's working directory). */
  cwd: string;
  /** Required here: pass `context.output.redactor`, which knows the process's secrets. */
  redactor: Redactor;
}

/**
 * Opens the trace the flags ask for, or `NULL_TRACE` with `--no-trace`. A bad size is a
 * usage error (64); a path that cannot be opened (including a missing `--allow-write`
 * permission) is a configuration error (78) at start-up.
 */
export async function openTraceFromFlags(
  values: TraceFlagValues,
  options: TraceFromFlagsOptions,
): Promise<TraceSink> {
  if (values["no-trace"] === true) return NULL_TRACE;
  const maxBytes = numberFlag("--trace-max-bytes", values["trace-max-bytes"], parsePositiveInt, {
    fallback: DEFAULT_TRACE_MAX_BYTES,
  });
  const keep = numberFlag("--trace-keep", values["trace-keep"], parsePositiveInt, {
    fallback: DEFAULT_TRACE_KEEP,
  });
  const raw = values.trace ?? DEFAULT_TRACE_PATH;
  if (raw.trim() === "") throw usageError("--trace must be a file path (or use --no-trace)");
  const path = raw.startsWith("/") ? raw : `${options.cwd}/${raw}`;
  const { cwd: _cwd, ...traceOptions } = options;
  try {
    return await openTrace(path, { ...traceOptions, maxBytes, keep });
  } catch (error) {
    if (!(error instanceof TraceOpenError)) throw error;
    throw configError(
      `${error.message}: pass a writable --trace path (Deno needs --allow-write for it), ` +
        `or --no-trace`,
    );
  }
}

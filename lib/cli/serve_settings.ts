/**
 * `serve`'s flags and the settings they make: every value is read and checked
 * before anything listens, so a bad one is exit 64 with nothing started.
 */
import { chooseStore, STORE_FLAGS, type StoreChoice } from "./store_choice.ts";
import { parseDurationMs, parsePositiveInt } from "../setup/mod.ts";
import { DEFAULT_TOLERANCE_SECONDS } from "../receive/mod.ts";
import { noPositionals, numberFlag, parseCommandArgs, valueFlags } from "./args.ts";
import { usageError } from "./cli_error.ts";
import type { CommandContext } from "./command.ts";
import { EXEC_FLAGS, type ExecSettings, parseExecSettings } from "./exec_settings.ts";
import { DEFAULT_SHUTDOWN_GRACE_MS } from "./serve_shutdown.ts";
import { parseServeLogFlags, SERVE_LOG_FLAGS, type ServeLogSettings } from "./serve_log.ts";
import { TRACE_FLAGS, type TraceFlagValues } from "./trace_flags.ts";

export const FLAGS = {
  ...valueFlags(
    "port",
    "hostname",
    "tolerance",
    "max-body-bytes",
    "read-timeout",
    "shutdown-grace",
  ),
  ...STORE_FLAGS,
  route: { type: "string", multiple: true },
  pull: { type: "boolean" },
  ...EXEC_FLAGS,
  ...TRACE_FLAGS,
  ...SERVE_LOG_FLAGS,
} as const;

export interface ServeSettings extends StoreChoice {
  port: number;
  hostname: string;
  toleranceSeconds: number;
  maxBodyBytes: number;
  readTimeoutMs: number;
  routeSpecs: string[];
  /** null without --exec: accepted events are printed instead. */
  exec: ExecSettings | null;
  /** `--pull`: no consumer; events wait in the store for pull consumers. */
  pull: boolean;
  shutdownGraceMs: number;
  trace: TraceFlagValues;
  log: ServeLogSettings;
}

/** Reads and checks every flag before anything listens: a bad value is exit 64. */
export function parseServeSettings(context: CommandContext): ServeSettings {
  const { values, positionals } = parseCommandArgs("serve", context.args, FLAGS);
  noPositionals("serve", positionals);
  const rawPort = values.port ?? "8000";
  if (!/^[0-9]{1,5}$/.test(rawPort) || Number(rawPort) > 65535) {
    throw usageError(`--port must be a port number from 0 to 65535, got '${rawPort}'`);
  }
  const hostname = values.hostname ?? "127.0.0.1";
  if (hostname.trim() === "") throw usageError("--hostname must not be empty");
  const exec = parseExecSettings(values, context.env);
  if (!exec.ok) throw usageError(exec.reason);
  const log = parseServeLogFlags(values);
  if (!log.ok) throw usageError(log.reason);
  const pull = values.pull === true;
  if (pull && exec.value !== null) {
    throw usageError("--pull and --exec exclude each other: --pull hands nothing off");
  }
  return {
    port: Number(rawPort),
    hostname,
    toleranceSeconds: toleranceSeconds(values.tolerance),
    maxBodyBytes: numberFlag("--max-body-bytes", values["max-body-bytes"], parsePositiveInt, {
      fallback: 1_048_576,
    }),
    readTimeoutMs: numberFlag("--read-timeout", values["read-timeout"], parseDurationMs, {
      fallback: 10_000,
    }),
    ...chooseStore(values, context),
    routeSpecs: values.route ?? [],
    exec: exec.value,
    pull,
    shutdownGraceMs: numberFlag("--shutdown-grace", values["shutdown-grace"], parseDurationMs, {
      fallback: DEFAULT_SHUTDOWN_GRACE_MS,
    }),
    trace: values,
    log: log.value,
  };
}

/** `--tolerance`: a duration (bare number = seconds), whole seconds from 1s. */
function toleranceSeconds(raw: string | undefined): number {
  const toleranceMs = numberFlag("--tolerance", raw, parseDurationMs, {
    fallback: DEFAULT_TOLERANCE_SECONDS * 1000,
  });
  if (toleranceMs % 1000 !== 0) {
    throw usageError("--tolerance must be whole seconds, e.g. 300 or 5m");
  }
  return toleranceMs / 1000;
}

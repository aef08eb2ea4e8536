/**
 * `serve`'s `--exec*` settings, checked. Pure: a bad value is a failure value
 * that `serve` turns into a usage error before anything listens. (The flag
 * table and the help text are the CLI's: lib/cli/exec_settings.ts.)
 */
import {
  EXEC_USER_VAR,
  parseDurationMs,
  parseOptionalNumber,
  parsePositiveInt,
} from "../setup/mod.ts";
import { fail, ok, type Result } from "../util/mod.ts";
import {
  DEFAULT_EXEC_ATTEMPTS,
  DEFAULT_EXEC_CONCURRENCY,
  DEFAULT_EXEC_TIMEOUT_MS,
} from "./exec_handler.ts";

export const MAX_EXEC_ATTEMPTS = 100;
const MAX_CONCURRENCY = 64;
const MAX_TIMEOUT_MS = 24 * 3_600_000;

export interface ExecSettings {
  command: string;
  envAllowlist: string[];
  timeoutMs: number;
  maxAttempts: number;
  concurrency: number;
  /** --exec-user (or HOOKGATE_EXEC_USER); null: the agent runs as hookgate's own user. */
  user: string | null;
  /** --exec-cwd; null: a directory of the agent's own under the data directory. */
  cwd: string | null;
}

export interface ExecFlagValues {
  exec?: string;
  "exec-env"?: string[];
  "exec-timeout"?: string;
  "exec-attempts"?: string;
  "exec-concurrency"?: string;
  "exec-user"?: string;
  "exec-cwd"?: string;
}

const DEPENDENT_FLAGS = [
  "exec-env",
  "exec-timeout",
  "exec-attempts",
  "exec-concurrency",
  "exec-user",
  "exec-cwd",
] as const;

/** A user name as useradd takes it, or a numeric uid. */
const USER_NAME = /^(?:[a-z_][a-z0-9_.-]*\$?|[0-9]+)$/i;

/** null when `--exec` is absent (serve keeps its default act); a failure names the flag. */
export function parseExecSettings(
  values: ExecFlagValues,
  env: Record<string, string> = {},
): Result<ExecSettings | null> {
  if (values.exec === undefined) {
    const stray = DEPENDENT_FLAGS.find((flag) => values[flag] !== undefined);
    return stray === undefined ? ok(null) : fail(`--${stray} needs --exec CMD`);
  }
  if (values.exec.trim() === "") return fail("--exec needs a command, e.g. --exec './agent.sh'");
  const envAllowlist = values["exec-env"] ?? [];
  const badName = envAllowlist.find((name) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name));
  if (badName !== undefined) {
    return fail(`--exec-env takes a variable name (letters, digits, _), got '${badName}'`);
  }
  const timeoutMs = parseOptionalNumber("--exec-timeout", values["exec-timeout"], parseDurationMs, {
    fallback: DEFAULT_EXEC_TIMEOUT_MS,
    max: MAX_TIMEOUT_MS,
    tooLarge: "--exec-timeout must be at most 24h",
  });
  if (!timeoutMs.ok) return timeoutMs;
  const count = (flag: "exec-attempts" | "exec-concurrency", fallback: number, max: number) =>
    parseOptionalNumber(`--${flag}`, values[flag], parsePositiveInt, { fallback, max });
  const maxAttempts = count("exec-attempts", DEFAULT_EXEC_ATTEMPTS, MAX_EXEC_ATTEMPTS);
  if (!maxAttempts.ok) return maxAttempts;
  const concurrency = count("exec-concurrency", DEFAULT_EXEC_CONCURRENCY, MAX_CONCURRENCY);
  if (!concurrency.ok) return concurrency;
  const fromEnv = env[EXEC_USER_VAR]?.trim();
  const user = values["exec-user"] ?? (fromEnv === "" ? undefined : fromEnv) ?? null;
  if (user !== null && !USER_NAME.test(user)) {
    const source = values["exec-user"] === undefined ? EXEC_USER_VAR : "--exec-user";
    return fail(`${source} takes a user name or a numeric uid, got '${user}'`);
  }
  const cwd = values["exec-cwd"] ?? null;
  if (cwd !== null && cwd.trim() === "") return fail("--exec-cwd needs a directory");
  return ok({
    command: values.exec,
    envAllowlist,
    timeoutMs: timeoutMs.value,
    maxAttempts: maxAttempts.value,
    concurrency: concurrency.value,
    user,
    cwd,
  });
}

/**
 * `serve`'s `--exec*` flags: their parseArgs definitions (spread into serve's
 * FLAGS) and their checks. Pure: a bad value is a failure value that `serve`
 * turns into a usage error before anything listens.
 */
import { parseDurationMs, parsePositiveInt } from "../setup/mod.ts";
import {
  DEFAULT_EXEC_ATTEMPTS,
  DEFAULT_EXEC_CONCURRENCY,
  DEFAULT_EXEC_TIMEOUT_MS,
} from "../handoff/mod.ts";
import { fail, ok, type Result } from "../util/mod.ts";

export const EXEC_FLAGS = {
  exec: { type: "string" },
  "exec-env": { type: "string", multiple: true },
  "exec-timeout": { type: "string" },
  "exec-attempts": { type: "string" },
  "exec-concurrency": { type: "string" },
} as const;

export const EXEC_HELP =
  `  --exec CMD           hand each accepted event to CMD (run by /bin/sh -c) with
                       the raw payload on stdin; exit 0 = done (default: print
                       one JSON line per event on stdout)
  --exec-env NAME      pass NAME from hookgate's environment to CMD, repeatable
                       (CMD gets only PATH, HOME, LANG, these and HOOKGATE_*;
                       a variable holding a secret hookgate knows is refused)
  --exec-timeout DUR   kill CMD's whole process group after DUR (default 60s)
  --exec-attempts N    attempts before an event becomes a dead letter (default 5)
  --exec-concurrency N events handed off at once (default 1)`;

export const MAX_EXEC_ATTEMPTS = 100;
const MAX_CONCURRENCY = 64;
const MAX_TIMEOUT_MS = 24 * 3_600_000;

export interface ExecSettings {
  command: string;
  envAllowlist: string[];
  timeoutMs: number;
  maxAttempts: number;
  concurrency: number;
}

export interface ExecFlagValues {
  exec?: string;
  "exec-env"?: string[];
  "exec-timeout"?: string;
  "exec-attempts"?: string;
  "exec-concurrency"?: string;
}

/** null when `--exec` is absent (serve keeps its default act); a failure names the flag. */
export function parseExecSettings(values: ExecFlagValues): Result<ExecSettings | null> {
  if (values.exec === undefined) {
    const stray = (["exec-env", "exec-timeout", "exec-attempts", "exec-concurrency"] as const)
      .find((flag) => values[flag] !== undefined);
    return stray === undefined ? ok(null) : fail(`--${stray} needs --exec CMD`);
  }
  if (values.exec.trim() === "") return fail("--exec needs a command, e.g. --exec './agent.sh'");
  const envAllowlist = values["exec-env"] ?? [];
  const badName = envAllowlist.find((name) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name));
  if (badName !== undefined) {
    return fail(`--exec-env takes a variable name (letters, digits, _), got '${badName}'`);
  }
  let timeoutMs = DEFAULT_EXEC_TIMEOUT_MS;
  if (values["exec-timeout"] !== undefined) {
    const parsed = parseDurationMs("--exec-timeout", values["exec-timeout"]);
    if (!parsed.ok) return parsed;
    if (parsed.value > MAX_TIMEOUT_MS) return fail("--exec-timeout must be at most 24h");
    timeoutMs = parsed.value;
  }
  const count = (flag: string, raw: string | undefined, fallback: number, max: number) => {
    if (raw === undefined) return ok(fallback);
    const parsed = parsePositiveInt(flag, raw);
    if (!parsed.ok) return parsed;
    return parsed.value <= max ? parsed : fail(`${flag} must be at most ${max}, got ${raw}`);
  };
  const maxAttempts = count(
    "--exec-attempts",
    values["exec-attempts"],
    DEFAULT_EXEC_ATTEMPTS,
    MAX_EXEC_ATTEMPTS,
  );
  if (!maxAttempts.ok) return maxAttempts;
  const concurrency = count(
    "--exec-concurrency",
    values["exec-concurrency"],
    DEFAULT_EXEC_CONCURRENCY,
    MAX_CONCURRENCY,
  );
  if (!concurrency.ok) return concurrency;
  return ok({
    command: values.exec,
    envAllowlist,
    timeoutMs,
    maxAttempts: maxAttempts.value,
    concurrency: concurrency.value,
  });
}

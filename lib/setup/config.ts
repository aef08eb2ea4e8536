/**
 * Reading configuration values from the environment: required secrets (named, never echoed),
 * durations (`30s`, `5m`, `1h`) and whole numbers, as Result values for a start-up error.
 */
import { fail, ok, type Result } from "../util/mod.ts";

/** The variable of the shared webhook secret of the default route. */
export const SECRET_VAR = "WEBHOOK_SECRET";
/** A published example secret: accepted (so copied examples run) but warned about. */
export const PLACEHOLDER_SECRET = "dev-shared-secret-change-me";
export const MIN_SECRET_BYTES = 16;
export const RECOMMENDED_SECRET_BYTES = 32;
/** A secret of fewer different characters is guessable however long (`aaaaaaaaaaaaaaaa`). */
export const MIN_DISTINCT_CHARS = 8;

/** Whether a secret repeats so few characters that length does not make it strong. */
export function isRepetitive(value: string): boolean {
  return new Set(value).size < MIN_DISTINCT_CHARS;
}

/**
 * Reads a required secret from the environment. The reason names the variable
 * and the fix, never the value.
 */
export function readSecret(env: Record<string, string>, name: string = SECRET_VAR): Result<string> {
  const value = env[name];
  if (value === undefined || value.trim() === "") {
    return fail(`${name} is not set: run 'hookgate init' or add it to .env`);
  }
  if (new TextEncoder().encode(value).length < MIN_SECRET_BYTES) {
    return fail(
      `${name} is shorter than ${MIN_SECRET_BYTES} bytes: run 'hookgate init' for a strong one ` +
        `or set a longer value in .env (a value in the environment wins over .env: unset it there)`,
    );
  }
  return ok(value);
}

/** Parses a positive whole number option (seconds, bytes, counts). */
export function parsePositiveInt(name: string, raw: string): Result<number> {
  if (!/^[0-9]{1,15}$/.test(raw) || Number(raw) <= 0) {
    return fail(`${name} must be a positive whole number, got '${raw}'`);
  }
  return ok(Number(raw));
}

/** Parses a duration like `90`, `90s`, `15m`, `24h`, `7d` into milliseconds. */
export function parseDurationMs(name: string, raw: string): Result<number> {
  const match = /^([0-9]{1,9})(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!match) return fail(`${name} must be a duration such as 30s, 15m, 24h or 7d, got '${raw}'`);
  const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const value = Number(match[1]) * (unitMs[match[2] ?? "s"] as number);
  return value > 0 ? ok(value) : fail(`${name} must be greater than zero`);
}

/** Reads one option's text as a number: `parsePositiveInt` or `parseDurationMs`. */
export type NumberParser = (name: string, raw: string) => Result<number>;

/**
 * An optional numeric option: `fallback` when it is absent, else `parse`d and refused past
 * `max` (with `tooLarge`, else "NAME must be at most MAX, got RAW").
 */
export function parseOptionalNumber(
  name: string,
  raw: string | undefined,
  parse: NumberParser,
  limits: { fallback: number; max?: number; tooLarge?: string },
): Result<number> {
  if (raw === undefined) return ok(limits.fallback);
  const parsed = parse(name, raw);
  if (!parsed.ok || limits.max === undefined || parsed.value <= limits.max) return parsed;
  return fail(limits.tooLarge ?? `${name} must be at most ${limits.max}, got ${raw}`);
}

/** serve's routes when no `--route` is given: `PATH=SCHEME:SECRET_VAR`, comma-separated. */
export const ROUTES_VAR = "HOOKGATE_ROUTES";

/** The key that signs inspection-API bearer tokens; `init` creates it. */
export const TOKEN_SECRET_VAR = "HOOKGATE_TOKEN_SECRET";

/** The user `serve --exec` runs agents as, when --exec-user is not given (`doctor` reads it too). */
export const EXEC_USER_VAR = "HOOKGATE_EXEC_USER";

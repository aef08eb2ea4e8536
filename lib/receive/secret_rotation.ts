/**
 * Rotated-out secrets (`<VAR>_PREVIOUS`): reading them, choosing the active ones at an instant,
 * and rewriting `.env` text for `hookgate rotate`, so a secret changes without downtime.
 */
import { MIN_SECRET_BYTES, parseDotenv, readSecret, setEnvValues } from "../setup/mod.ts";
import { fail, ok, type Result } from "../util/mod.ts";

/**
 * Rotated-out secrets live in `<VAR>_PREVIOUS` as comma-separated
 * `SECRET@YYYY-MM-DDTHH:MM:SSZ` entries. Neither `,` nor `@` occurs in base64,
 * base64url or hex, so a generated secret never needs quoting or escaping.
 */
export const PREVIOUS_SUFFIX = "_PREVIOUS";

export interface PreviousSecret {
  secret: string;
  /** The instant this secret stops verifying. */
  expiresAtMs: number;
}

export interface RouteSecrets {
  current: string;
  /** Every listed previous secret, expired ones included (a running server drops them on time). */
  previous: PreviousSecret[];
}

const EXPIRY = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/;

export function previousVarName(varName: string): string {
  return `${varName}${PREVIOUS_SUFFIX}`;
}

/** Whole seconds, UTC, `Z`: the one expiry form the parser accepts. */
export function formatExpiry(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/**
 * Parses a `<VAR>_PREVIOUS` value. A bad entry is a failure that names the
 * variable and the entry's position, never its text (it holds a secret).
 */
export function parsePreviousSecrets(
  varName: string,
  raw: string | undefined,
): Result<PreviousSecret[]> {
  if (raw === undefined || raw.trim() === "") return ok([]);
  const name = previousVarName(varName);
  const previous: PreviousSecret[] = [];
  const entries = raw.split(",");
  for (const [index, rawEntry] of entries.entries()) {
    const entry = rawEntry.trim();
    const at = entry.lastIndexOf("@");
    const secret = at === -1 ? "" : entry.slice(0, at);
    const expiry = at === -1 ? "" : entry.slice(at + 1);
    const expiresAtMs = EXPIRY.test(expiry) ? Date.parse(expiry) : NaN;
    if (secret === "" || Number.isNaN(expiresAtMs) || formatExpiry(expiresAtMs) !== expiry) {
      return fail(
        `${name} entry ${index + 1} of ${entries.length} is not SECRET@YYYY-MM-DDTHH:MM:SSZ: ` +
          `fix it or remove the entry ('hookgate rotate' writes this variable)`,
      );
    }
    if (new TextEncoder().encode(secret).length < MIN_SECRET_BYTES) {
      return fail(
        `${name} entry ${index + 1} is shorter than ${MIN_SECRET_BYTES} bytes: remove the entry`,
      );
    }
    previous.push({ secret, expiresAtMs });
  }
  return ok(previous);
}

export function formatPreviousSecrets(previous: PreviousSecret[]): string {
  return previous.map((p) => `${p.secret}@${formatExpiry(p.expiresAtMs)}`).join(",");
}

/** The current secret of `varName` (required, strong) and its previous ones. */
export function routeSecrets(env: Record<string, string>, varName: string): Result<RouteSecrets> {
  const current = readSecret(env, varName);
  if (!current.ok) return current;
  const previous = parsePreviousSecrets(varName, env[previousVarName(varName)]);
  if (!previous.ok) return previous;
  return ok({ current: current.value, previous: previous.value });
}

/**
 * The secrets that sign or verify at `nowMs`: the current one first, then each
 * previous one before its expiry. `send` signs with all of them where the
 * scheme carries several signatures.
 */
export function activeSecrets(
  env: Record<string, string>,
  varName: string,
  options: { nowMs: number },
): Result<string[]> {
  const secrets = routeSecrets(env, varName);
  if (!secrets.ok) return secrets;
  return ok([
    secrets.value.current,
    ...secrets.value.previous.filter((p) => options.nowMs < p.expiresAtMs).map((p) => p.secret),
  ]);
}

export interface RotateOptions {
  varName: string;
  /** The value that replaces the current secret. */
  newSecret: string;
  /** How long the replaced secret keeps verifying. */
  graceMs: number;
  nowMs: number;
  /** False drops the current value instead of keeping it verifying (one the scheme cannot use). */
  keepCurrent?: boolean;
}

export interface Rotation {
  /** The new `.env` text. */
  text: string;
  /** When the replaced secret stops verifying, or null if there was none to keep. */
  expiresAtMs: number | null;
  /** Previous secrets dropped because they had expired. */
  droppedExpired: number;
  /** Whether `.env` had no value for the variable (nothing moved to `_PREVIOUS`). */
  created: boolean;
}

/**
 * Rotates one secret in `.env` text: the new value becomes current, the old
 * one joins `<VAR>_PREVIOUS` (first) with an expiry of now + grace, and expired
 * entries are dropped. Everything else in the file is kept as it was.
 */
export function rotateEnvText(text: string, options: RotateOptions): Result<Rotation> {
  const { varName, nowMs } = options;
  const fileEnv = parseDotenv(text);
  const previousName = previousVarName(varName);
  const previous = parsePreviousSecrets(varName, fileEnv[previousName]);
  if (!previous.ok) return previous;
  const unexpired = previous.value.filter((p) => nowMs < p.expiresAtMs);
  let kept = unexpired;
  const current = (fileEnv[varName] ?? "").trim();
  let expiresAtMs: number | null = null;
  if (current !== "") {
    if (/[\s,]/.test(current)) {
      return fail(
        `${varName} contains whitespace or a comma, so it cannot be listed in ${previousName}: ` +
          `replace it by hand (or empty it and run 'hookgate rotate' again)`,
      );
    }
    if (
      options.keepCurrent !== false &&
      new TextEncoder().encode(current).length >= MIN_SECRET_BYTES
    ) {
      // Whole seconds, so the value written is exactly the instant enforced.
      expiresAtMs = Math.floor((nowMs + options.graceMs) / 1000) * 1000;
      // Listed already (a rollback by hand): the expiry announced is the only one it keeps.
      kept = kept.filter((p) => p.secret !== current);
      kept.unshift({ secret: current, expiresAtMs });
    }
  }
  const values: Record<string, string> = { [varName]: options.newSecret };
  if (kept.length > 0 || fileEnv[previousName] !== undefined) {
    values[previousName] = formatPreviousSecrets(kept);
  }
  return ok({
    text: setEnvValues(text, values),
    expiresAtMs,
    droppedExpired: previous.value.length - unexpired.length,
    created: current === "",
  });
}

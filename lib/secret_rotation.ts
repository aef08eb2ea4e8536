import { MIN_SECRET_BYTES, readSecret } from "./config.ts";
import { fail, ok, type Result } from "./result.ts";

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

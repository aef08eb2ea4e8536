/**
 * The one redactor every sink uses (stdout, stderr, the trace, errors).
 * PROVISIONAL: removes exact secret values only; the full redactor (issue 6)
 * keeps this interface.
 */
export const REDACTED = "***redacted***";

export interface Redactor {
  /** Removes credentials from free text. */
  text(input: string): string;
  /** Returns a copy of a JSON-like value with credentials removed. */
  value(input: unknown): unknown;
  /** A redactor that also removes these exact values. */
  withSecrets(secrets: Iterable<string>): Redactor;
}

export interface RedactorOptions {
  /** Exact values to remove wherever they appear (secrets the process knows). */
  secrets?: Iterable<string>;
}

export function createRedactor(options: RedactorOptions = {}): Redactor {
  const secrets = [...new Set(options.secrets ?? [])].filter((s) => s.length >= 4)
    .sort((a, b) => b.length - a.length);
  const text = (input: string): string => {
    let out = input;
    for (const secret of secrets) out = out.split(secret).join(REDACTED);
    return out;
  };
  const value = (input: unknown): unknown => {
    if (typeof input === "string") return text(input);
    if (Array.isArray(input)) return input.map(value);
    if (input !== null && typeof input === "object") {
      return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, value(v)]));
    }
    return input;
  };
  return {
    text,
    value,
    withSecrets: (more) => createRedactor({ secrets: [...secrets, ...more] }),
  };
}

const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_KEY|_PREVIOUS)$/i;

/** The values of environment variables whose names say they hold a secret. */
export function secretValuesFromEnv(env: Record<string, string>): string[] {
  return Object.entries(env).filter(([name]) => SECRET_NAME.test(name)).map(([, v]) => v);
}

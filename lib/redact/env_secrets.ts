/** Which values in the environment (and .env) are secrets every sink must remove. */
import { isSecretKey } from "./secret_key.ts";
import { usableSecret } from "./known_secrets.ts";

const EXPIRY_SUFFIX = /@[0-9][0-9:TZ.+-]*$/;
const URL_PASSWORD = /\/\/[^\s/@:]*:(?<password>[^\s/@]+)@/;

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The values of environment variables whose names say they hold a secret, and passwords in
 * URL-valued variables. A `_PREVIOUS` list (rotated secrets with their expiries) also
 * contributes each of its entries.
 */
export function secretValuesFromEnv(env: Record<string, string>): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    // A password inside a URL (`HOOKGATE_STORE=redis://:pw@host`) is a secret whatever the name.
    const password = URL_PASSWORD.exec(value)?.groups?.password;
    if (password !== undefined) {
      for (const form of [password, safeDecode(password)]) {
        if (usableSecret(form)) values.push(form);
      }
    }
    if (!isSecretKey(name) || !usableSecret(value)) continue;
    values.push(value);
    if (/[\s,;]/.test(value.trim()) && !value.includes("\n")) {
      // `<VAR>_PREVIOUS` is `SECRET@2026-12-01T19:00:00Z,…`: each secret, never its expiry.
      for (const entry of value.split(/[\s,;]+/)) {
        const secret = entry.replace(EXPIRY_SUFFIX, "");
        if (usableSecret(secret)) values.push(secret);
      }
    } else if (EXPIRY_SUFFIX.test(value)) {
      const secret = value.replace(EXPIRY_SUFFIX, "");
      if (usableSecret(secret)) values.push(secret);
    }
  }
  return values;
}

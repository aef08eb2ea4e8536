/**
 * Cookie and Set-Cookie values: session and authentication cookies lose their values;
 * other cookies (`theme=dark`) and the attributes (`Path`, `HttpOnly`, `SameSite` …) stay.
 */
import { isSecretKey } from "./secret_key.ts";
import { REDACTED } from "./marks.ts";

/** Names of cookies that carry a session or a credential. */
const SESSION_COOKIE = new RegExp(
  [
    "sess|auth|token|jwt|login|logged.?in|remember|csrf|xsrf|secret|pass|cred",
    // `__Host-` and `__Secure-` cookies are security cookies by convention.
    "^__(?:host|secure)-",
    // `sid`, `connect.sid`, `xsid`, but not `side` or `inside`.
    "(?:^|[^a-z])sid(?:$|[^a-z])|sid$",
  ].join("|"),
  "i",
);
const ATTRIBUTES = new Set([
  "path",
  "domain",
  "expires",
  "max-age",
  "secure",
  "httponly",
  "samesite",
  "partitioned",
  "priority",
  "version",
  "comment",
]);

/**
 * Rewrites a `name=value; name=value; Attribute` list. `others` redacts the value of a
 * cookie that is kept (a token shape inside it still goes).
 */
export function redactCookieList(list: string, others: (value: string) => string): string {
  const parts = list.split(/(;[ \t]*)/);
  for (let i = 0; i < parts.length; i += 2) {
    const part = parts[i] as string;
    const equals = part.indexOf("=");
    const name = (equals === -1 ? part : part.slice(0, equals)).trim();
    if (ATTRIBUTES.has(name.toLowerCase())) continue;
    if (equals === -1) {
      // A value without a name: nothing says it is harmless.
      if (part.trim() !== "" && part !== REDACTED) parts[i] = REDACTED;
      continue;
    }
    const value = part.slice(equals + 1);
    if (value === "" || value === REDACTED) continue;
    const secret = SESSION_COOKIE.test(name) || isSecretKey(name);
    parts[i] = part.slice(0, equals + 1) + (secret ? REDACTED : others(value));
  }
  return parts.join("");
}

/**
 * Which key, header and variable names hold a credential: `Authorization`, `x-api-key`,
 * `clientSecret`, `DB_PASSWORD`, `WEBHOOK_SECRET_PREVIOUS` do; `max_tokens`,
 * `token_count`, `token_type`, `client_id`, `public_key` and an event key do not. Names
 * are compared as words, ignoring case and separators. Pure; used by the redactor (lib/redact/).
 */
/** A name whose last word is one of these holds a credential (`github_token`, `db_password`). */
const SECRET_LAST_WORDS = new Set([
  "password",
  "passwd",
  "passphrase",
  "secret",
  "secrets",
  "token",
  "credential",
  "credentials",
  "cookie",
  "cookies",
  "apikey",
  "authorization",
]);
/** Whole names (separators and case removed) that always hold a credential: those words, and these. */
const SECRET_NAMES = new Set([
  ...SECRET_LAST_WORDS,
  "proxyauthorization",
  "auth",
  "authtoken",
  "authtokens",
  "denoauthtokens",
  "setcookie",
  "xapikey",
  "apitoken",
  "accesstoken",
  "refreshtoken",
  "idtoken",
  "clientsecret",
  "privatekey",
  "secretkey",
  "accesskey",
  "signingkey",
  "sessionid",
  "jwt",
]);
/** `<qualifier>_key` names that are identifiers, not credentials. */
const PUBLIC_KEY_QUALIFIERS = new Set([
  "public",
  "publishable",
  "primary",
  "foreign",
  "sort",
  "partition",
  "range",
  "hash",
  "row",
  "cache",
  "idempotency",
  "event",
  "dedup",
  "dedupe",
  "routing",
  "object",
  "lookup",
  "site",
  "hot",
  "shortcut",
  "message",
  "group",
  "unique",
  "composite",
  "index",
  "map",
  "translation",
  "i18n",
  "locale",
  "sequence",
  "cursor",
  "lock",
  "join",
  "search",
  "query",
  "bucket",
  "redis",
  "kv",
  "replay",
  "inbox",
]);
/** Trailing words that describe a secret without holding it (`secret_name`, `password_length`). */
const METADATA_WORDS = new Set([
  "name",
  "names",
  "id",
  "ids",
  "arn",
  "ref",
  "path",
  "file",
  "length",
  "len",
  "count",
  "type",
  "version",
  "hint",
  "policy",
  "manager",
  "store",
  "var",
  "env",
  "set",
  "expires",
  "expiry",
  "at",
  "ttl",
  "required",
  "enabled",
  "present",
  "configured",
  "ok",
  "bytes",
  "source",
]);
/** Trailing words that name a generation of the same secret (`WEBHOOK_SECRET_PREVIOUS`). */
const GENERATION_WORD =
  /^(?:previous|prev|old|new|next|current|curr|backup|primary|secondary|v?\d+)$/;
/** Extra names that are credentials when they are a URL query or form parameter. */
const QUERY_SECRET_NAMES = new Set(["sig", "signature", "key", "code"]);

export interface KeyKind {
  secret: boolean;
  /** Also secret as a URL query or form parameter (`sig`, `key`). */
  querySecret: boolean;
  /** An Authorization header: its scheme word is kept. */
  authorization: boolean;
  /** A cookie header: `a=b; c=d` is one value. */
  cookie: boolean;
}

const NOT_SECRET: KeyKind = {
  secret: false,
  querySecret: false,
  authorization: false,
  cookie: false,
};
const keyCache = new Map<string, KeyKind>();

/** The words of a name: `clientSecret`, `CLIENT-SECRET` and `client.secret` all give client, secret. */
function nameWords(name: string): string[] {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase().split(/[^a-z0-9]+/).filter((word) => word !== "");
}

function classifyName(words: string[]): boolean {
  if (words.length === 0) return false;
  if (SECRET_NAMES.has(words.join(""))) return true;
  while (words.length > 1 && GENERATION_WORD.test(words.at(-1) as string)) words.pop();
  const last = words.at(-1) as string;
  if (SECRET_NAMES.has(words.join("")) || SECRET_LAST_WORDS.has(last)) return true;
  if (last === "key" && words.length > 1) return !PUBLIC_KEY_QUALIFIERS.has(words.at(-2) as string);
  const mentionsSecret = words.some((w) => w === "password" || w === "passwd" || w === "secret");
  return mentionsSecret && !METADATA_WORDS.has(last);
}

/** Classifies a name once; names repeat (every trace line has the same keys). */
export function keyKind(name: string): KeyKind {
  let kind = keyCache.get(name);
  if (kind === undefined) {
    if (name.length > 200) return NOT_SECRET;
    const words = nameWords(name);
    const joined = words.join("");
    const last = words.at(-1) ?? "";
    const secret = classifyName([...words]);
    kind = {
      secret,
      querySecret: secret || QUERY_SECRET_NAMES.has(last),
      authorization: joined === "authorization" || joined === "proxyauthorization",
      cookie: last === "cookie" || last === "cookies",
    };
    if (keyCache.size > 10_000) keyCache.clear();
    keyCache.set(name, kind);
  }
  return kind;
}

/**
 * Whether a key, header or variable name holds a credential, ignoring case and separators
 * (`Authorization`, `x-api-key`, `clientSecret`, `DB_PASSWORD`, `WEBHOOK_SECRET_PREVIOUS`),
 * without taking `max_tokens`, `token_count`, `token_type`, `client_id` or `public_key`.
 */
export function isSecretKey(name: string): boolean {
  return keyKind(name).secret;
}

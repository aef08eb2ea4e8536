/**
 * The egress allowlist and the decision for one URL: the raw-text checks, the exact host match, and the same for every redirect hop.
 * Pure: no network, no DNS, no Deno.* — the address check after DNS lives in
 * fetch_url.ts, the permission layer in fetch_worker.ts, both fed from here.
 */
import { isIpAddress } from "./ip_address.ts";
import { truncateForPrinting } from "../redact/mod.ts";
import { fail, ok, type Result } from "../util/mod.ts";

export const ALLOW_HOSTS_VAR = "EGRESS_ALLOW_HOSTS";
export const ALLOW_PRIVATE_VAR = "EGRESS_ALLOW_PRIVATE";
/** Longer URLs are refused before parsing; no API call an agent needs is this long. */
export const MAX_URL_CHARS = 8192;

export type EgressScheme = "https:" | "http:";

export interface AllowEntry {
  /** The canonical spelling, as shown in denial messages. */
  text: string;
  scheme: EgressScheme;
  /** Lowercase ASCII host (IDN as punycode), no trailing dot; for a wildcard, the parent domain. */
  host: string;
  /** `*.host`: subdomains of host at any depth, never host itself. */
  wildcard: boolean;
  /** The one port allowed: the entry's own, else the scheme's default. */
  port: number;
}

export interface EgressPolicy {
  entries: readonly AllowEntry[];
  /** Hosts that may resolve to loopback/private addresses (local development and tests). */
  allowPrivateHosts: ReadonlySet<string>;
  /** `scheme//host:port` of the exact entries. */
  exact: ReadonlySet<string>;
  /** `scheme//parent:port` of the wildcard entries. */
  wildcards: ReadonlySet<string>;
  /** Whether EGRESS_ALLOW_HOSTS was given at all (empty or not): a denial says which it was. */
  allowHostsGiven: boolean;
}

export type EgressVerdict =
  | {
    allowed: true;
    /** The normalized URL to request: lowercase host, no trailing dot, no default port, no fragment. */
    url: string;
    host: string;
    port: number;
    scheme: EgressScheme;
    /** The allowlist entry that matched. */
    entry: string;
  }
  | {
    allowed: false;
    /** The host as parsed (or the raw text when there is no host), for the message. */
    host: string;
    /** Why, in a few words. */
    reason: string;
    /**
     * How the operator would allow it, when there is a way: for people (`hookgate fetch`),
     * never for an agent, which could act on it if it can edit files.
     */
    remedy: string | null;
    /** The denial: `egress to '<host>' denied; allowed: [...]`. */
    message: string;
  };

const DEFAULT_PORTS: Record<EgressScheme, number> = { "https:": 443, "http:": 80 };
const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const HOST_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);
/** Whitespace, control and format characters (zero-width, bidi) and backslashes. */
const FORBIDDEN_RAW = /[\s\p{Cc}\p{Cf}\p{Z}\\]/u;
const ENTRY_HELP = "write entries like api.github.com, api.example.com:8443, " +
  "http://localhost:8080 or *.example.com";

/**
 * Builds the policy from EGRESS_ALLOW_HOSTS and EGRESS_ALLOW_PRIVATE. An
 * invalid entry is a configuration error naming the variable and the entry
 * (an allowlist holds no secrets). Unset or empty means deny everything.
 */
export function parseEgressPolicy(env: Record<string, string | undefined>): Result<EgressPolicy> {
  const entries: AllowEntry[] = [];
  for (const item of splitList(env[ALLOW_HOSTS_VAR])) {
    const entry = parseAllowEntry(item);
    if (!entry.ok) {
      return fail(`${ALLOW_HOSTS_VAR} entry '${item}' is invalid: ${entry.reason}; ${ENTRY_HELP}`);
    }
    entries.push(entry.value);
  }
  const allowPrivateHosts = new Set<string>();
  for (const item of splitList(env[ALLOW_PRIVATE_VAR])) {
    const host = parseHostName(item.toLowerCase());
    if (!host.ok) {
      return fail(
        `${ALLOW_PRIVATE_VAR} entry '${item}' is invalid: ${host.reason}; ` +
          `list plain host names such as localhost`,
      );
    }
    allowPrivateHosts.add(host.value);
  }
  return ok({
    entries,
    allowHostsGiven: env[ALLOW_HOSTS_VAR] !== undefined,
    allowPrivateHosts,
    exact: new Set(entries.filter((e) => !e.wildcard).map((e) => key(e.scheme, e.host, e.port))),
    wildcards: new Set(entries.filter((e) => e.wildcard).map((e) => key(e.scheme, e.host, e.port))),
  });
}

/**
 * Deno `net` permission descriptors for exactly the allowlist, so that the
 * permission layer and the code check read one list. Deno's `*.host` also
 * admits the apex; the code check refuses it.
 */
export function denoNetPermissions(policy: EgressPolicy): string[] {
  return [...new Set(policy.entries.map((e) => `${e.wildcard ? "*." : ""}${e.host}:${e.port}`))];
}

/** Decides one URL against the policy, without network or DNS. */
export function checkEgressUrl(raw: string, policy: EgressPolicy): EgressVerdict {
  const rawProblem = checkRawText(raw);
  if (rawProblem) return denyEgress(displayRaw(raw), rawProblem, policy);
  const url = URL.parse(raw);
  if (url === null) return denyEgress(displayRaw(raw), "not an absolute URL", policy);
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return denyEgress(
      url.hostname || displayRaw(raw),
      `scheme ${url.protocol} is not allowed`,
      policy,
    );
  }
  const scheme: EgressScheme = url.protocol;
  // `https://@host` parses to an empty userinfo; any '@' in the authority is a trick, not a URL.
  if (url.username !== "" || url.password !== "" || rawAuthority(raw).includes("@")) {
    return denyEgress(url.hostname, "credentials (user:pass@) in a URL are not allowed", policy);
  }
  // The parser already turned 2130706433, 0177.0.0.1, 0x7f.1 and 127.1 into dotted decimal.
  if (url.hostname.startsWith("[") || isIpAddress(url.hostname)) {
    return denyEgress(
      url.hostname,
      "IP addresses are not allowed: use an allowlisted host name",
      policy,
    );
  }
  const host = url.hostname.endsWith(".") ? url.hostname.slice(0, -1) : url.hostname;
  // `x..example.com` would pass a wildcard and resolve nowhere: refused as what it is.
  if (host.split(".").some((label) => label === "")) {
    return denyEgress(host, "a host name has an empty label (two dots in a row)", policy);
  }
  const port = url.port === "" ? DEFAULT_PORTS[scheme] : Number(url.port);
  const entry = matchEntry(scheme, host, port, policy);
  if (entry === null) {
    const { reason, remedy } = whyNotListed(scheme, host, port, policy);
    return denyEgress(host, reason, policy, remedy);
  }
  const normalized = new URL(url.href);
  normalized.hostname = host;
  normalized.hash = "";
  return { allowed: true, url: normalized.href, host, port, scheme, entry };
}

/**
 * Decides a redirect hop: the Location text gets the raw checks, is resolved
 * against the current URL, may not downgrade https to http, and then passes
 * the whole check again.
 */
export function checkEgressRedirect(
  fromUrl: string,
  location: string,
  policy: EgressPolicy,
): EgressVerdict {
  const rawProblem = checkRawText(location);
  if (rawProblem) {
    return denyEgress(displayRaw(location), `redirect Location: ${rawProblem}`, policy);
  }
  const target = URL.parse(location, fromUrl);
  if (target === null) {
    return denyEgress(displayRaw(location), "redirect Location is not a URL", policy);
  }
  if (new URL(fromUrl).protocol === "https:" && target.protocol === "http:") {
    return denyEgress(
      target.hostname,
      "redirect from https to http (a downgrade) is refused",
      policy,
    );
  }
  return checkEgressUrl(target.href, policy);
}

/** The denial message: `egress to '<host>' denied; allowed: [...]`. */
function denialMessage(host: string, policy: EgressPolicy): string {
  return `egress to '${host}' denied; allowed: ${
    JSON.stringify(policy.entries.map((e) => e.text))
  }`;
}

/** A denial of `host`, with the policy's message; `remedy` only where the operator has one. */
export function denyEgress(
  host: string,
  reason: string,
  policy: EgressPolicy,
  remedy: string | null = null,
): Extract<EgressVerdict, { allowed: false }> {
  return { allowed: false, host, reason, remedy, message: denialMessage(host, policy) };
}

/** A denial's reason with the operator's remedy, for people. */
export function reasonWithRemedy(denial: { reason: string; remedy: string | null }): string {
  return denial.remedy === null ? denial.reason : `${denial.reason}: ${denial.remedy}`;
}

function checkRawText(raw: string): string | null {
  if (raw.length === 0) return "empty URL";
  if (raw.length > MAX_URL_CHARS) return `URL longer than ${MAX_URL_CHARS} characters`;
  if (FORBIDDEN_RAW.test(raw)) {
    return "whitespace, control characters and backslashes are not allowed in a URL";
  }
  return null;
}

function matchEntry(
  scheme: EgressScheme,
  host: string,
  port: number,
  policy: EgressPolicy,
): string | null {
  if (policy.exact.has(key(scheme, host, port))) return entryText(scheme, host, port, false);
  // Walk the parent domains label by label: set lookups, never a suffix test on text.
  const labels = host.split(".");
  for (let i = 1; i <= labels.length - 2; i++) {
    const parent = labels.slice(i).join(".");
    if (policy.wildcards.has(key(scheme, parent, port))) {
      return entryText(scheme, parent, port, true);
    }
  }
  return null;
}

function whyNotListed(
  scheme: EgressScheme,
  host: string,
  port: number,
  policy: EgressPolicy,
): { reason: string; remedy: string | null } {
  if (policy.entries.length === 0 && !policy.allowHostsGiven) {
    return {
      reason: `${ALLOW_HOSTS_VAR} is not set, so every host is denied`,
      remedy: `set ${ALLOW_HOSTS_VAR}=${host} in .env ('hookgate init' writes a .env with an ` +
        "example allowlist)",
    };
  }
  if (policy.entries.length === 0) {
    return {
      reason: `${ALLOW_HOSTS_VAR} is empty, so every host is denied`,
      remedy: `add the host, e.g. ${ALLOW_HOSTS_VAR}=${host}`,
    };
  }
  const sameHost = policy.entries.filter((e) => !e.wildcard && e.host === host);
  if (sameHost.some((e) => e.scheme === scheme)) {
    return {
      reason: `port ${port} is not allowed for ${host}`,
      remedy: `list ${entryText(scheme, host, port, false)}`,
    };
  }
  if (sameHost.length > 0) {
    return scheme === "http:"
      ? {
        reason: `plain http is allowed only for entries written ${
          entryText("http:", host, port, false)
        }`,
        remedy: null,
      }
      : { reason: `${host} is listed for http only`, remedy: null };
  }
  return {
    reason: `${host} is not on ${ALLOW_HOSTS_VAR}`,
    remedy: `to allow it, add ${host} to ${ALLOW_HOSTS_VAR} in .env (comma-separated)`,
  };
}

function parseAllowEntry(item: string): Result<AllowEntry> {
  let rest = item;
  let scheme: EgressScheme = "https:";
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(rest);
  if (schemeMatch) {
    const named = (schemeMatch[1] as string).toLowerCase();
    if (named !== "https" && named !== "http") return fail(`scheme ${named}: is not allowed`);
    scheme = `${named}:`;
    rest = rest.slice(schemeMatch[0].length);
  }
  if (rest.endsWith("/")) rest = rest.slice(0, -1);
  if (/[/?#@\\\s]/.test(rest)) return fail("give a host, without a path, query or user");
  const wildcard = rest.startsWith("*.");
  if (wildcard) rest = rest.slice(2);
  if (rest.includes("*")) {
    return fail("'*' is only allowed as the whole first label, as *.example.com");
  }
  const url = URL.parse(`${scheme}//${rest}`);
  if (url === null) return fail("not a host name with an optional port");
  if (url.hostname.startsWith("[") || isIpAddress(url.hostname)) {
    return fail("an IP address (IP literals are always denied): name the host");
  }
  const host = parseHostName(url.hostname);
  if (!host.ok) return host;
  if (wildcard && !host.value.includes(".")) {
    return fail("a wildcard needs a parent with at least two labels, as *.example.com");
  }
  const port = url.port === "" ? DEFAULT_PORTS[scheme] : Number(url.port);
  return ok({
    text: entryText(scheme, host.value, port, wildcard),
    scheme,
    host: host.value,
    wildcard,
    port,
  });
}

function parseHostName(raw: string): Result<string> {
  const url = URL.parse(`https://${raw}`);
  if (url === null || url.hostname === "" || url.port !== "" || url.pathname !== "/") {
    return fail("not a host name");
  }
  if (url.hostname.startsWith("[") || isIpAddress(url.hostname)) {
    return fail("an IP address (IP literals are always denied): name the host");
  }
  const host = url.hostname.endsWith(".") ? url.hostname.slice(0, -1) : url.hostname;
  if (!HOST_NAME.test(host)) return fail("not a valid DNS host name");
  return ok(host);
}

function entryText(scheme: EgressScheme, host: string, port: number, wildcard: boolean): string {
  const prefix = scheme === "http:" ? "http://" : "";
  const suffix = port === DEFAULT_PORTS[scheme] ? "" : `:${port}`;
  return `${prefix}${wildcard ? "*." : ""}${host}${suffix}`;
}

function key(scheme: EgressScheme, host: string, port: number): string {
  return `${scheme}//${host}:${port}`;
}

function splitList(value: string | undefined): string[] {
  return (value ?? "").split(",").map((item) => item.trim()).filter((item) => item !== "");
}

/**
 * The authority as written: after the scheme and any slashes (the parser
 * accepts `https:host` and `https:///host` too), up to the first `/`, `?` or `#`.
 */
function rawAuthority(raw: string): string {
  const rest = raw.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/*/, "");
  const end = rest.search(/[/?#]/);
  return end === -1 ? rest : rest.slice(0, end);
}

/**
 * The raw text made printable and short, for a message about an unusable URL. Credential
 * shapes go before the cut; the cut mark lets the printing redactor, which knows the
 * secrets, remove a piece of one left just before it.
 */
function displayRaw(raw: string): string {
  const escaped = JSON.stringify(raw).slice(1, -1).replace(
    /[\p{Cf}\p{Z}]/gu,
    (c) => `\\u${c.codePointAt(0)?.toString(16).padStart(4, "0")}`,
  );
  return truncateForPrinting(escaped, 100);
}

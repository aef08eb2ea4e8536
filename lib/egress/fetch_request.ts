/**
 * What a caller of `fetch_url` may send besides the URL: a method, headers and
 * a text body. Pure. Headers that steer where or how a request travels (Host,
 * Connection, Transfer-Encoding, proxy and forwarding headers …) are refused:
 * the allowlist decides the destination, not a header.
 */
import { fail, ok, type Result } from "../util/mod.ts";
import { truncateForPrinting } from "../redact/mod.ts";

export const FETCH_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;
export type FetchMethod = typeof FETCH_METHODS[number];

export const MAX_REQUEST_HEADERS = 32;
export const MAX_HEADER_VALUE_CHARS = 8192;
export const MAX_REQUEST_BODY_BYTES = 1_048_576;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
const BAD_VALUE = /[\r\n\0]/;
const REFUSED = new Set([
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "keep-alive",
  "expect",
  "forwarded",
  "via",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-real-ip",
  "user-agent",
]);

export interface FetchRequestInput {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface FetchRequest {
  method: FetchMethod;
  /** Lowercase names, in the order given. */
  headers: [string, string][];
  body: string | null;
}

/** Checks a caller's method, headers and body; a failure says which and why. */
export function checkFetchRequest(input: FetchRequestInput): Result<FetchRequest> {
  const method = (input.method ?? "GET").toUpperCase();
  if (!(FETCH_METHODS as readonly string[]).includes(method)) {
    return fail(`method '${input.method}' is not allowed: use one of ${FETCH_METHODS.join(", ")}`);
  }
  const entries = Object.entries(input.headers ?? {});
  if (entries.length > MAX_REQUEST_HEADERS) {
    return fail(`at most ${MAX_REQUEST_HEADERS} headers may be sent, got ${entries.length}`);
  }
  const headers: [string, string][] = [];
  for (const [rawName, value] of entries) {
    const name = rawName.toLowerCase();
    if (!TOKEN.test(rawName)) {
      // Quoted back shortened: an error is not a place to echo a caller's text at any length.
      return fail(`header name '${truncateForPrinting(rawName, 64)}' is not a valid HTTP token`);
    }
    if (REFUSED.has(name) || name.startsWith("proxy-")) {
      return fail(`header '${rawName}' may not be set: hookgate decides how a request travels`);
    }
    if (typeof value !== "string" || BAD_VALUE.test(value)) {
      return fail(`header '${rawName}' must be one line of text (no CR, LF or NUL)`);
    }
    if (value.length > MAX_HEADER_VALUE_CHARS) {
      return fail(`header '${rawName}' is longer than ${MAX_HEADER_VALUE_CHARS} characters`);
    }
    headers.push([name, value]);
  }
  const body = input.body ?? null;
  if (body !== null && (method === "GET" || method === "HEAD")) {
    return fail(`a ${method} request has no body: use POST, PUT or PATCH to send one`);
  }
  if (body !== null && new TextEncoder().encode(body).byteLength > MAX_REQUEST_BODY_BYTES) {
    return fail(`the body is larger than ${MAX_REQUEST_BODY_BYTES} bytes`);
  }
  return ok({ method: method as FetchMethod, headers, body });
}

/**
 * The request to send after a redirect, as browsers do: 303 (and 301/302 after
 * a POST) become a GET without body; 307/308 repeat the request. Headers the
 * caller set go to the same origin only: a redirect to another allowlisted
 * host does not carry them along.
 */
export function requestAfterRedirect(
  request: FetchRequest,
  status: number,
  sameOrigin: boolean,
): FetchRequest {
  const toGet = status === 303 ? request.method !== "HEAD" : (
    (status === 301 || status === 302) && request.method === "POST"
  );
  const method: FetchMethod = toGet ? "GET" : request.method;
  const body = toGet ? null : request.body;
  let headers = sameOrigin ? request.headers : [];
  if (toGet) headers = headers.filter(([name]) => !name.startsWith("content-"));
  return { method, headers, body };
}

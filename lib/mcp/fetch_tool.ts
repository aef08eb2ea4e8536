/**
 * The `fetch_url` tool: `hookgate fetch` for an MCP client. The same guard
 * runs (allowlist, DNS check, every redirect re-checked, byte cap, each hop in
 * a Worker whose net permission is the allowlist); a refusal is a tool error
 * that names the denied host and what is allowed.
 */
import {
  answered,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_CHARS,
  DEFAULT_TIMEOUT_MS,
  type EgressPolicy,
  FETCH_METHODS,
  fetchUrl,
  type FetchUrlOptions,
  type FetchUrlResult,
  MAX_HEADER_VALUE_CHARS,
  MAX_REDIRECTS,
  MAX_REQUEST_BODY_BYTES,
  MAX_REQUEST_HEADERS,
  MAX_URL_CHARS,
} from "../egress/mod.ts";
import type { Redactor } from "../redact/mod.ts";
import { createLimiter } from "../util/mod.ts";
import { type CallToolResult, type McpServer, z } from "./sdk.ts";
import { errorResult, jsonResult } from "./tool_result.ts";

export interface FetchToolOptions {
  policy: EgressPolicy;
  redactor: Redactor;
  userAgent: string;
  /** `fetchUrl` by default; a test passes a transport through `fetchOptions`. */
  fetchOptions?: Partial<FetchUrlOptions>;
  /** Fetches run at once (default 4) and wait for a turn (default 16); past both, refused. */
  maxRunning?: number;
  maxWaiting?: number;
}

/**
 * Each fetch holds a Worker and up to its byte cap in memory until it ends (its timeout at
 * most): a model calling fetch_url many times at once must not exhaust the server's memory
 * or hold up the event tools, so only a few run and a few wait, and the rest are refused.
 */
const MAX_RUNNING_FETCHES = 4;
const MAX_WAITING_FETCHES = 16;

const DESCRIPTION = "Request a URL (GET by default), but only if its host is on the " +
  "operator's egress allowlist (EGRESS_ALLOW_HOSTS). Names that resolve to private or " +
  "loopback addresses, IP literals, user:pass@ URLs, unlisted ports and https→http " +
  `redirects are refused; every redirect (at most ${MAX_REDIRECTS}) is checked again, and ` +
  "headers you set are not sent on to another origin. Returns {ok, url, status, body, " +
  `truncated, bytes, redirects, error}: body is text cut to ${DEFAULT_MAX_CHARS} characters ` +
  "(truncated says so), credentials in it are redacted. A non-2xx answer is a result with " +
  "ok=false; a refused host or header, a network error or a timeout " +
  `(${DEFAULT_TIMEOUT_MS / 1000} s) is a tool error saying why.`;

export function registerFetchTool(server: McpServer, options: FetchToolOptions): void {
  const maxRunning = options.maxRunning ?? MAX_RUNNING_FETCHES;
  const maxWaiting = options.maxWaiting ?? MAX_WAITING_FETCHES;
  const fetches = createLimiter(maxRunning);
  server.registerTool("fetch_url", {
    title: "Fetch an allowlisted URL",
    description: DESCRIPTION,
    inputSchema: {
      url: z.string().min(1).max(MAX_URL_CHARS).describe(
        "Absolute URL, e.g. https://api.github.com/zen. Only allowlisted hosts are reached.",
      ),
      method: z.enum(FETCH_METHODS).optional().describe("HTTP method (default GET)."),
      headers: z.record(z.string(), z.string().max(MAX_HEADER_VALUE_CHARS)).optional().describe(
        `Request headers, name to value (at most ${MAX_REQUEST_HEADERS}); Host, Connection, ` +
          "Content-Length, Transfer-Encoding, User-Agent, proxy and forwarding headers are " +
          "refused.",
      ),
      body: z.string().optional().describe(
        `Text body for POST, PUT or PATCH (at most ${MAX_REQUEST_BODY_BYTES} bytes); set ` +
          "content-type in headers.",
      ),
      max_bytes: z.number().int().min(1).max(DEFAULT_MAX_BYTES).optional().describe(
        `Read at most this many body bytes (default and maximum ${DEFAULT_MAX_BYTES}).`,
      ),
    },
    annotations: { openWorldHint: true },
  }, async ({ url, method, headers, body, max_bytes }, extra): Promise<CallToolResult> => {
    if (fetches.running >= maxRunning && fetches.waiting >= maxWaiting) {
      return errorResult(
        options.redactor,
        `too many fetch_url calls at once: ${maxRunning} run and ${maxWaiting} wait; ` +
          "call again when one has answered",
      );
    }
    const result = await fetches.run(() =>
      fetchUrl(url, {
        ...options.fetchOptions,
        ...(method === undefined ? {} : { method }),
        ...(headers === undefined ? {} : { headers }),
        ...(body === undefined ? {} : { body }),
        policy: options.policy,
        // A call the client cancelled, also while it waited for a turn, sends nothing more.
        signal: extra.signal,
        maxBytes: max_bytes ?? DEFAULT_MAX_BYTES,
        maxChars: DEFAULT_MAX_CHARS,
        timeoutMs: DEFAULT_TIMEOUT_MS,
        userAgent: options.userAgent,
        // The body is redacted with every known secret before it is cut to maxChars.
        redactor: options.redactor,
      })
    );
    return fetchToolResult(result, options.redactor);
  });
}

/** An answer (any status) is a result; no answer is a tool error. */
export function fetchToolResult(result: FetchUrlResult, redactor: Redactor): CallToolResult {
  if (!answered(result)) {
    // A host the model never named needs saying where it came from, or it retries its URL.
    const hop = result.redirects === 1 ? "1 redirect" : `${result.redirects} redirects`;
    const where = result.redirects > 0
      ? `\nwhere: the URL you asked for redirected there (after ${hop}); every hop is ` +
        "checked against the allowlist"
      : "";
    const why = result.failure === "denied"
      ? `\nwhy: ${result.reason}${where}\nThe allowlist is the operator's ` +
        "decision: ask them whether this host should be reachable."
      : "";
    return errorResult(redactor, `${result.error}${why}`);
  }
  return jsonResult(redactor, {
    ok: result.ok,
    url: result.url,
    status: result.status,
    body: result.body,
    truncated: result.truncated,
    bytes: result.bytes,
    redirects: result.redirects,
    error: result.ok ? null : result.error,
  });
}

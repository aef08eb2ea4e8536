/**
 * The agent's `fetch_url` tool: policy check, DNS check, one
 * sandboxed request per hop, every redirect re-checked, body and time bounded.
 * Every outcome is a JSON-able value the model can read; nothing is thrown.
 */
import { errorMessage } from "../util/mod.ts";
import {
  checkEgressRedirect,
  checkEgressUrl,
  denoNetPermissions,
  denyEgress,
  type EgressPolicy,
  type EgressVerdict,
} from "./egress_policy.ts";
import {
  fetchInWorker,
  type FetchInWorkerOptions,
  type HopOutcome,
  type HopRequest,
  isRedirect,
} from "./fetch_worker.ts";
import {
  checkFetchRequest,
  type FetchRequest,
  type FetchRequestInput,
  requestAfterRedirect,
} from "./fetch_request.ts";
import { classifyIpAddress } from "./ip_address.ts";
import { createRedactor, redactBytesThenTruncate, type Redactor } from "../redact/mod.ts";

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_BYTES = 1_048_576;
/** What a model is shown of one response by default. */
export const DEFAULT_MAX_CHARS = 8000;
export const MAX_REDIRECTS = 5;
const SHAPES_ONLY = createRedactor();

export type FetchFailure =
  | "denied"
  | "network"
  | "timeout"
  | "status"
  | "redirects"
  | "setup"
  /** The method, a header or the body was refused before anything was sent. */
  | "request";

/** An answer from an allowed host, read (redacted, then cut) for the model. */
export interface FetchAnswer {
  /** The last URL requested (after redirects), normalized. */
  url: string;
  status: number;
  /** The body as text, redacted, then cut to maxChars (never more than maxBytes were kept). */
  body: string;
  /** True when the body was cut at maxBytes or maxChars. */
  truncated: boolean;
  /** Body bytes read off the wire (at most maxBytes plus one chunk). */
  bytes: number;
  redirects: number;
}

/**
 * What `fetchUrl` answers: a 2xx answer; an answer with another status (its body
 * still there to read); or no answer at all, with what went wrong — for a denial
 * also why, with the fix when there is one.
 */
export type FetchUrlResult =
  | (FetchAnswer & { ok: true; failure: null })
  | (FetchAnswer & { ok: false; failure: "status"; error: string })
  | {
    ok: false;
    failure: "denied";
    error: string;
    reason: string;
    /** How the operator would allow it (egress_policy.ts says who may be told). */
    remedy: string | null;
    /** The last URL requested before the refused one, if any. */
    url: string | null;
    redirects: number;
  }
  | {
    ok: false;
    failure: Exclude<FetchFailure, "status" | "denied">;
    error: string;
    url: string | null;
    redirects: number;
    /** With "redirects": the status of the last redirect. */
    status?: number;
  };

/**
 * The result as one flat JSON object for a model or a script (`fetch --json`):
 * every field present, null where it does not apply, so readers need no cases.
 */
export function flatResult(result: FetchUrlResult) {
  const answer = answered(result) ? result : null;
  return {
    ok: result.ok,
    url: result.url,
    status: answer?.status ?? ("status" in result ? result.status ?? null : null),
    body: answer?.body ?? "",
    truncated: answer?.truncated ?? false,
    bytes: answer?.bytes ?? 0,
    redirects: result.redirects,
    error: result.ok ? null : result.error,
    failure: result.failure,
    reason: result.failure === "denied" ? result.reason : null,
  };
}

/** Whether an allowed host answered (any status): the result then has a body. */
export function answered(
  result: FetchUrlResult,
): result is Extract<FetchUrlResult, FetchAnswer> {
  return result.failure === null || result.failure === "status";
}

/** Resolves a host name to its IPv4 and IPv6 addresses; an empty list means it does not resolve. */
export type ResolveAddresses = (host: string, signal: AbortSignal) => Promise<string[]>;

export type HopTransport = (
  request: HopRequest,
  options: FetchInWorkerOptions,
) => Promise<HopOutcome>;

export interface FetchUrlOptions extends FetchRequestInput {
  policy: EgressPolicy;
  timeoutMs?: number;
  maxBytes?: number;
  maxChars?: number;
  userAgent?: string;
  /** The caller's cancellation: it ends the fetch as the timeout does, between hops too. */
  signal?: AbortSignal;
  /** Redacts the body before it is cut; credential shapes only when absent. */
  redactor?: Redactor;
  /** `Deno.resolveDns` (A and AAAA) by default. */
  resolveAddresses?: ResolveAddresses;
  /** The sandboxed worker by default. */
  transport?: HopTransport;
  /**
   * TEST SEAM ONLY: skips the policy and DNS checks so a test can prove that
   * Deno's permission layer alone still refuses a host. No command, flag or
   * variable sets it.
   */
  unsafeSkipCodeChecksForTests?: boolean;
}

/** Fetches `url` if, and only if, the policy allows it and every hop. */
export async function fetchUrl(url: string, options: FetchUrlOptions): Promise<FetchUrlResult> {
  const { policy } = options;
  const skipChecks = options.unsafeSkipCodeChecksForTests === true;
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  const transport = options.transport ?? fetchInWorker;
  const resolveAddresses = options.resolveAddresses ?? resolveWithDeno;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const netPermissions = denoNetPermissions(policy);
  const checked = checkFetchRequest(options);
  if (!checked.ok) return failure("request", checked.reason, 0, null);
  let request: FetchRequest = checked.value;
  let verdict = skipChecks ? uncheckedVerdict(url) : checkEgressUrl(url, policy);
  let previous: string | null = null;
  for (let redirects = 0;; redirects++) {
    if (!verdict.allowed) return denied(verdict, redirects, previous);
    const current = verdict.url;
    if (!skipChecks) {
      const addressCheck = await checkAddresses(verdict.host, policy, resolveAddresses, signal);
      if (addressCheck !== null) return { ...addressCheck, redirects, url: current };
    }
    const outcome = await transport(
      {
        url: current,
        maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
        userAgent: options.userAgent ?? "hookgate-fetch",
        method: request.method,
        headers: request.headers,
        body: request.body,
      },
      { netPermissions, signal },
    );
    switch (outcome.kind) {
      case "denied":
        return denied(
          denyEgress(
            verdict.host,
            `Deno's net permission refused it (NotCapable): ${outcome.message}`,
            policy,
          ),
          redirects,
          current,
        );
      case "timeout":
        return failure(
          "timeout",
          options.signal?.aborted
            ? "cancelled before a complete answer"
            : `no complete answer within ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`,
          redirects,
          current,
        );
      case "network":
        return failure(
          "network",
          `could not fetch ${current}: ${outcome.message}`,
          redirects,
          current,
        );
      case "setup":
        return failure("setup", outcome.message, redirects, current);
    }
    if (isRedirect(outcome.status) && outcome.location !== null) {
      if (redirects >= MAX_REDIRECTS) {
        return {
          ok: false,
          failure: "redirects",
          error: `more than ${MAX_REDIRECTS} redirects`,
          url: current,
          redirects,
          status: outcome.status,
        };
      }
      previous = current;
      request = requestAfterRedirect(
        request,
        outcome.status,
        sameOrigin(current, outcome.location),
      );
      verdict = skipChecks
        ? uncheckedVerdict(new URL(outcome.location, current).href)
        : checkEgressRedirect(current, outcome.location, policy);
      continue;
    }
    // Redacted before it is cut, so the cut cannot leave a readable piece of a secret.
    const text = redactBytesThenTruncate(options.redactor ?? SHAPES_ONLY, outcome.body, {
      maxChars,
      inputWasCut: outcome.truncated,
    });
    const answer: FetchAnswer = {
      url: current,
      status: outcome.status,
      body: text.text,
      truncated: text.truncated,
      bytes: outcome.bytesRead,
      redirects,
    };
    return outcome.status >= 200 && outcome.status <= 299
      ? { ...answer, ok: true, failure: null }
      : { ...answer, ok: false, failure: "status", error: `HTTP ${outcome.status}` };
  }
}

/**
 * Refuses a host that resolves to any non-public address, unless
 * EGRESS_ALLOW_PRIVATE names it. `localhost` names are loopback by definition
 * (RFC 6761), whatever a resolver says.
 */
async function checkAddresses(
  host: string,
  policy: EgressPolicy,
  resolveAddresses: ResolveAddresses,
  signal: AbortSignal,
): Promise<FetchUrlResult | null> {
  if (policy.allowPrivateHosts.has(host)) return null;
  let addresses: string[];
  if (host === "localhost" || host.split(".").at(-1) === "localhost") {
    addresses = ["127.0.0.1", "::1"];
  } else {
    try {
      addresses = await resolveAddresses(host, signal);
    } catch (error) {
      if (signal.aborted) return failure("timeout", "DNS resolution timed out", 0, null);
      if (error instanceof Deno.errors.NotCapable) {
        return denied(
          denyEgress(host, `Deno's permissions refused DNS: ${errorMessage(error)}`, policy),
          0,
          null,
        );
      }
      return failure("network", `could not resolve ${host}: ${errorMessage(error)}`, 0, null);
    }
  }
  if (addresses.length === 0) {
    return failure("network", `could not resolve ${host}: no A or AAAA records`, 0, null);
  }
  for (const address of addresses) {
    const { public: isPublic, category } = classifyIpAddress(address);
    if (!isPublic) {
      return denied(
        denyEgress(
          host,
          `${host} resolves to ${address} (${category}); only public addresses are reachable`,
          policy,
          `for local development, add ${host} to EGRESS_ALLOW_PRIVATE`,
        ),
        0,
        null,
      );
    }
  }
  return null;
}

async function resolveWithDeno(host: string, signal: AbortSignal): Promise<string[]> {
  return resolvedAddresses(
    await Promise.allSettled([
      Deno.resolveDns(host, "A", { signal }),
      Deno.resolveDns(host, "AAAA", { signal }),
    ]),
  );
}

/**
 * The addresses of a name's A and AAAA lookups. A lookup that failed (other than "no such
 * record") fails the whole, even when the other one answered: the request resolves the name
 * again, and may then get the addresses that lookup would have given, which nobody checked.
 */
export function resolvedAddresses(answers: PromiseSettledResult<string[]>[]): string[] {
  const hardFailure = answers.find((answer) =>
    answer.status === "rejected" && !(answer.reason instanceof Deno.errors.NotFound)
  );
  if (hardFailure?.status === "rejected") throw hardFailure.reason;
  return answers.flatMap((answer) => answer.status === "fulfilled" ? answer.value : []);
}

/** Whether a redirect's Location (relative, absolute or malformed) stays on `from`'s origin. */
function sameOrigin(from: string, location: string): boolean {
  try {
    return new URL(location, from).origin === new URL(from).origin;
  } catch {
    return false;
  }
}

/** What the test seam puts in place of the policy's verdict. */
function uncheckedVerdict(raw: string): EgressVerdict {
  const url = new URL(raw);
  return {
    allowed: true,
    url: url.href,
    host: url.hostname,
    port: Number(url.port || (url.protocol === "http:" ? 80 : 443)),
    scheme: url.protocol === "http:" ? "http:" : "https:",
    entry: "(unchecked)",
  };
}

function denied(
  verdict: { message: string; reason: string; remedy: string | null },
  redirects: number,
  url: string | null,
): FetchUrlResult {
  const { message, reason, remedy } = verdict;
  return { ok: false, failure: "denied", error: message, reason, remedy, url, redirects };
}

function failure(
  kind: Exclude<FetchFailure, "status" | "denied">,
  error: string,
  redirects: number,
  url: string | null,
): FetchUrlResult {
  return { ok: false, failure: kind, error, url, redirects };
}

/**
 * `hookgate fetch`: the agent's `fetch_url` tool on the command line. The guard itself is
 * lib/egress/; this file reads the flags, runs it and maps a denial to exit 77.
 */
import denoConfig from "../../deno.json" with { type: "json" };
import { configError, usageError } from "./cli_error.ts";
import { parseDurationMs, parsePositiveInt } from "../setup/mod.ts";
import {
  ALLOW_HOSTS_VAR,
  ALLOW_PRIVATE_VAR,
  answered,
  checkEgressUrl,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_CHARS,
  DEFAULT_TIMEOUT_MS,
  type FetchAnswer,
  fetchUrl,
  type FetchUrlResult,
  flatResult,
  MAX_REDIRECTS,
  parseEgressPolicy,
  reasonWithRemedy,
} from "../egress/mod.ts";
import { ExitCode } from "./exit_codes.ts";
import { openTraceFromFlags, TRACE_FLAGS, TRACE_HELP } from "./trace_flags.ts";
import { numberFlag, onlyPositional, parseCommandArgs, valueFlags } from "./args.ts";
import { schemelessSuggestion } from "./url_hint.ts";
import type { Command } from "./command.ts";

const HELP = `hookgate fetch — the agent's fetch_url tool, egress only to allowlisted hosts

Usage: hookgate fetch URL [options]

The agent's fetch_url tool: GET a URL only if its host is on the egress
allowlist, and print the body (cut to --max-chars) on stdout. Status, bytes
read and whether the body was cut go to stderr.

Options:
  --dry-run            decide only: no network, no DNS; prints the verdict and the
                       normalized host (exit 0 allowed, 77 denied)
  --timeout DUR        total time for all hops and the body (default ${DEFAULT_TIMEOUT_MS / 1000}s)
  --max-chars N        characters of body printed (default ${DEFAULT_MAX_CHARS})
  --max-bytes N        body bytes read at most; reading stops there (default ${DEFAULT_MAX_BYTES})
  --json               print the tool result as one JSON object instead of the body
${TRACE_HELP}
  -h, --help           show this help

Allowlist (${ALLOW_HOSTS_VAR}, comma-separated; unset or empty denies everything):
  api.github.com       https on port 443 to exactly this host
  api.example.com:8443 https on that port only
  http://localhost:8080  plain http, only where an entry says so
  *.example.com        subdomains at any depth, never example.com itself
${ALLOW_PRIVATE_VAR} (comma-separated host names) lets those hosts resolve to
loopback/private addresses, for local development only.

Denied: hosts not listed, other schemes, user:pass@, IP literals in any
notation, whitespace/control characters/backslashes, unlisted ports, names that
resolve to non-public addresses, https→http redirects, more than ${MAX_REDIRECTS} redirects.
Every hop runs in a Worker whose Deno net permission is exactly the allowlist.

Exit codes: 0 2xx · 1 non-2xx or too many redirects · 64 usage · 69 network
error or timeout · 77 denied · 78 invalid allowlist.

Example:
  ${ALLOW_HOSTS_VAR}=api.github.com hookgate fetch https://api.github.com/zen`;

export const fetchCommand: Command = {
  help: HELP,
  async run(context) {
    const { values, positionals, help } = parseCommandArgs("fetch", context.args, {
      ...valueFlags("timeout", "max-chars", "max-bytes"),
      "dry-run": { type: "boolean" },
      json: { type: "boolean" },
      ...TRACE_FLAGS,
    });
    if (help) {
      context.output.out(HELP);
      return ExitCode.ok;
    }
    const url = onlyPositional("fetch", positionals, "URL");
    // Not a URL at all is a usage error; a URL the policy refuses is a denial (77).
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
      const hint = schemelessSuggestion(url);
      throw usageError(
        `'${url}' is not a URL${hint === null ? "" : `: did you mean ${hint}?`}` +
          " (give an absolute URL such as https://api.github.com/zen)",
      );
    }
    const timeoutMs = numberFlag("--timeout", values.timeout, parseDurationMs, {
      fallback: DEFAULT_TIMEOUT_MS,
    });
    const maxChars = numberFlag("--max-chars", values["max-chars"], parsePositiveInt, {
      fallback: DEFAULT_MAX_CHARS,
    });
    const maxBytes = numberFlag("--max-bytes", values["max-bytes"], parsePositiveInt, {
      fallback: DEFAULT_MAX_BYTES,
    });
    const policy = parseEgressPolicy(context.env);
    if (!policy.ok) throw configError(policy.reason);
    // An agent started by 'serve --exec' runs in its own directory, without .env, and gets
    // only the variables serve passes: the allowlist must be passed on explicitly.
    if (
      context.env.HOOKGATE_EVENT_ID !== undefined &&
      (context.env[ALLOW_HOSTS_VAR] ?? "").trim() === ""
    ) {
      context.output.err(
        `hookgate: run by 'serve --exec', fetch sees no ${ALLOW_HOSTS_VAR} (the agent has no ` +
          `.env and only the variables serve passes): start serve with --exec-env ${ALLOW_HOSTS_VAR}`,
      );
    }

    if (values["dry-run"] === true) {
      const verdict = checkEgressUrl(url, policy.value);
      if (verdict.allowed) {
        context.output.out(
          `allowed host=${verdict.host} port=${verdict.port} entry=${verdict.entry} ` +
            `url=${verdict.url}`,
        );
        context.output.err("(dry run: no DNS lookup, so the private-address check did not run)");
        return ExitCode.ok;
      }
      // An agent reads --json's output: how to widen the allowlist is the operator's to know.
      const why = values.json === true ? verdict.reason : reasonWithRemedy(verdict);
      context.output.out(`denied host=${verdict.host}: ${why}`);
      context.output.err(`hookgate: ${verdict.message}`);
      return ExitCode.denied;
    }

    const trace = await openTraceFromFlags(values, {
      cwd: context.cwd,
      redactor: context.output.redactor,
    });
    const result = await fetchUrl(url, {
      policy: policy.value,
      timeoutMs,
      maxChars,
      maxBytes,
      userAgent: `hookgate/${denoConfig.version}`,
      redactor: context.output.redactor,
    });
    const answer = answered(result) ? result : null;
    trace.write({
      type: "fetch",
      url,
      verdict: result.failure === "denied" ? "denied" : result.failure === null ? "ok" : "failed",
      status: answer?.status ?? null,
      bytes: answer?.bytes ?? 0,
      truncated: answer?.truncated ?? false,
      error: result.ok ? null : result.error,
    });
    await trace.close();
    if (values.json === true) {
      context.output.out(JSON.stringify(flatResult(result)));
    } else if (answer !== null) {
      context.output.outText(answer.body.endsWith("\n") ? answer.body : `${answer.body}\n`);
    }
    if (answer !== null) context.output.err(describe(answer, maxChars, maxBytes));
    // --json is what an agent reads: as in the JSON result, stderr says why, never how to widen.
    return exitCodeForFetch(result, context.output.err, { remedy: values.json !== true });
  },
};

/** The exit code for a fetch result (sysexits: 77 denied, 69 unreachable, 1 non-2xx); reports the failure on stderr. */
export function exitCodeForFetch(
  result: FetchUrlResult,
  report: (line: string) => void = () => {},
  options: { remedy: boolean } = { remedy: true },
): ExitCode {
  if (result.ok) return ExitCode.ok;
  report(`hookgate: ${result.error}`);
  if (result.failure === "denied") {
    report(`hookgate: why: ${options.remedy ? reasonWithRemedy(result) : result.reason}`);
  }
  switch (result.failure) {
    case "denied":
      return ExitCode.denied;
    case "network":
    case "timeout":
      return ExitCode.unavailable;
    case "status":
    case "redirects":
      return ExitCode.failed;
    case "setup":
      return ExitCode.config;
    case "request":
      return ExitCode.usage;
  }
}

function describe(result: FetchAnswer, maxChars: number, maxBytes: number): string {
  const cut = result.truncated ? `cut (at ${maxBytes} bytes or ${maxChars} chars)` : "not cut";
  const hops = result.redirects > 0 ? `, ${result.redirects} redirect(s)` : "";
  return `status ${result.status}, ${result.bytes} bytes read, body ${cut}${hops}`;
}

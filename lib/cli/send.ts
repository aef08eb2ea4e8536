/**
 * `hookgate send`: reads the payload and the secrets, signs and delivers with lib/send/, and
 * reports each attempt; the bytes given are the bytes signed and sent.
 */
import { plainHttpWarning } from "./plain_http.ts";
import { printable } from "./printable.ts";
import { errorMessage } from "../util/mod.ts";
import denoConfig from "../../deno.json" with { type: "json" };
import { parseDurationMs, SECRET_VAR } from "../setup/mod.ts";
import { activeSecrets } from "../receive/mod.ts";
import { CliError, configError, usageError } from "./cli_error.ts";
import { ExitCode } from "./exit_codes.ts";
import { connectionRefusedHint, type HmacKey, importHmacKey } from "../util/mod.ts";
import type { Output } from "./output.ts";
import { schemeByName, SCHEMES } from "../schemes/mod.ts";
import {
  type AttemptReport,
  DEFAULT_MAX_ELAPSED_MS,
  DEFAULT_RETRIES,
  DEFAULT_TIMEOUT_MS,
  ensurePayloadId,
  type SendFailure,
  sendWebhook,
} from "../send/mod.ts";
import { openTraceFromFlags, TRACE_FLAGS, TRACE_HELP } from "./trace_flags.ts";
import { numberFlag, onlyPositional, parseCommandArgs, valueFlags } from "./args.ts";
import type { Command } from "./command.ts";
import { schemelessSuggestion } from "./url_hint.ts";
import { routeMismatchHint } from "./send_route_hint.ts";

const HELP = `hookgate send — sign a JSON payload and deliver it, with retries

Usage: hookgate send URL [options]

Signs a JSON object and POSTs it to URL, retrying transient failures. The bytes
you give are the bytes sent and signed, never re-serialized. A payload without a
top-level "id" gets one ("evt_" + 24 random characters) as its first member, so
a retry is recognised as the same event.

Payload (one of):
  --data JSON          the payload on the command line
  --file PATH          the payload from a file, byte for byte
  (stdin)              the payload piped in, when neither flag is given

Options:
  --id ID              the event id to insert (must match the payload's own id, if any)
  --scheme NAME        wire format: ${Object.keys(SCHEMES).join(", ")} (default hookgate)
  --secret-var NAME    variable holding the secret (default ${SECRET_VAR})
  --retries N          retries after the first attempt (default ${DEFAULT_RETRIES})
  --max-elapsed DUR    no attempt starts later than this (default ${DEFAULT_MAX_ELAPSED_MS / 1000}s)
  --timeout DUR        per attempt (default ${DEFAULT_TIMEOUT_MS / 1000}s); DUR: 500ms, 10s, 2m
  -v, --verbose        report every attempt on stderr, also a first one that worked
${TRACE_HELP}
  -h, --help           show this help

Retries: connection errors, timeouts, 408, 429 and 5xx, with exponential
backoff and full jitter, honouring Retry-After. Never: other 4xx, 410, 3xx
(a redirect is reported, not followed).

Output: "<status> <body>" on stdout. stderr stays empty when the first attempt
works; otherwise each attempt is reported there (always with --verbose).
Exit codes: 0 2xx · 1 final non-2xx · 64 usage · 65 payload not a JSON object
· 69 receiver unreachable or timed out · 78 secret missing or weak.

Example:
  hookgate send http://127.0.0.1:8000/webhook --data '{"event":"push","repo":"demo"}'`;

const MAX_RETRIES = 100;

export const sendCommand: Command = {
  help: HELP,
  async run(context) {
    const { values, positionals, help } = parseCommandArgs("send", context.args, {
      ...valueFlags(
        "data",
        "file",
        "id",
        "scheme",
        "secret-var",
        "retries",
        "max-elapsed",
        "timeout",
      ),
      verbose: { type: "boolean", short: "v" },
      ...TRACE_FLAGS,
    });
    if (help) {
      context.output.out(HELP);
      return ExitCode.ok;
    }
    const url = parseTargetArgument(onlyPositional("send", positionals, "URL"));
    const schemeName = values.scheme ?? "hookgate";
    const scheme = schemeByName(schemeName);
    if (!scheme) {
      throw usageError(
        `unknown --scheme '${schemeName}': use one of ${Object.keys(SCHEMES).join(", ")}`,
      );
    }
    const retries = parseRetries(values.retries);
    const maxElapsedMs = numberFlag("--max-elapsed", values["max-elapsed"], parseDurationMs, {
      fallback: DEFAULT_MAX_ELAPSED_MS,
    });
    const timeoutMs = numberFlag("--timeout", values.timeout, parseDurationMs, {
      fallback: DEFAULT_TIMEOUT_MS,
    });
    if (values.data !== undefined && values.file !== undefined) {
      throw usageError("give the payload once: --data or --file, not both");
    }

    const secretVar = values["secret-var"] ?? SECRET_VAR;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(secretVar)) {
      throw usageError(`--secret-var must be a variable name such as ${SECRET_VAR}`);
    }
    // Rotation: the current secret and every unexpired <VAR>_PREVIOUS one; schemes that carry
    // several signatures (standard, stripe) sign with each, the others with the current one.
    const hint = routeMismatchHint(context.env, url, { scheme: scheme.name, secretVar });
    const withHint = (reason: string) => hint === null ? reason : `${reason}\n${hint}`;
    const secrets = activeSecrets(context.env, secretVar, { nowMs: Date.now() });
    if (!secrets.ok) {
      // 'hookgate init' here, the usual advice, would make a secret the receiver does not know.
      const unset = (context.env[secretVar] ?? "").trim() === "";
      throw configError(withHint(unset ? secretNotSet(secretVar, context.cwd) : secrets.reason));
    }
    context.output.protect(secrets.value);
    const keys: HmacKey[] = [];
    for (const [index, secret] of secrets.value.entries()) {
      const secretBytes = scheme.secretBytes(secret);
      const from = index === 0 ? secretVar : `${secretVar}_PREVIOUS`;
      if (!secretBytes.ok) throw configError(withHint(`${from}: ${secretBytes.reason}`));
      keys.push(importHmacKey(secretBytes.value));
    }

    const raw = await readPayload(values, context.cwd);
    const prepared = ensurePayloadId(raw, values.id !== undefined ? { id: values.id } : {});
    if (!prepared.ok) throw new CliError(ExitCode.dataError, prepared.reason);
    const { bytes, id, added } = prepared.value;
    const verbose = values.verbose === true;
    if (added && verbose) context.output.err(`added "id":"${id}" as the payload's first member`);
    const warning = plainHttpWarning(
      url,
      "the signature protects integrity, not confidentiality; anyone on the path can read the payload",
    );
    if (warning !== null) context.output.err(warning);

    // Opened after protect(): the redactor it takes must already know the secret.
    const trace = await openTraceFromFlags(values, {
      cwd: context.cwd,
      redactor: context.output.redactor,
    });
    const result = await sendWebhook(url.href, bytes, {
      scheme,
      keys,
      id,
      retries,
      maxElapsedMs,
      timeoutMs,
      userAgent: `hookgate/${denoConfig.version}`,
      redactor: context.output.redactor,
      onAttempt: (report) => {
        // A delivery that works at once is quiet: stdout has the answer.
        if (verbose || !deliveredAtOnce(report)) context.output.err(describeAttempt(report));
        trace.write({ type: "send", url: url.href, event_id: id, ...report });
      },
    }).finally(() => trace.close());
    if (result.ok) {
      context.output.out(`${result.value.status} ${oneLine(result.value.body)}`);
      return ExitCode.ok;
    }
    const code = reportFailure(result.reason, context.output, url.href);
    if (result.reason.kind === "status" && result.reason.status === 401 && hint !== null) {
      context.output.err(`hookgate: ${hint}`);
    }
    return code;
  },
};

/** The first attempt got a 2xx. */
function deliveredAtOnce(report: AttemptReport): boolean {
  const { outcome } = report;
  return report.attempt === 1 && outcome.kind === "response" && outcome.status >= 200 &&
    outcome.status < 300;
}

function parseTargetArgument(raw: string): URL {
  const missingScheme = schemelessSuggestion(raw);
  if (missingScheme !== null) {
    throw usageError(`'${raw}' has no scheme: did you mean ${missingScheme}?`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(
      `'${raw}' is not a URL: give an absolute URL such as http://127.0.0.1:8000/webhook`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw usageError(`send needs an https:// (or http://) URL, got '${url.protocol}'`);
  }
  return url;
}

function parseRetries(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_RETRIES;
  if (!/^[0-9]{1,3}$/.test(raw) || Number(raw) > MAX_RETRIES) {
    throw usageError(`--retries must be a whole number from 0 to ${MAX_RETRIES}, got '${raw}'`);
  }
  return Number(raw);
}

async function readPayload(
  values: { data?: string; file?: string },
  cwd: string,
): Promise<Uint8Array> {
  if (values.data !== undefined) return new TextEncoder().encode(values.data);
  if (values.file !== undefined) {
    const path = values.file.startsWith("/") ? values.file : `${cwd}/${values.file}`;
    try {
      return await Deno.readFile(path);
    } catch (error) {
      if (
        error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied
      ) {
        throw error;
      }
      const detail = errorMessage(error);
      throw new CliError(ExitCode.dataError, `cannot read --file ${values.file}: ${detail}`);
    }
  }
  if (Deno.stdin.isTerminal()) {
    throw usageError(
      "no payload: pass --data JSON, --file PATH, or pipe a JSON object on stdin\n" +
        "Run 'hookgate send --help' for usage.",
    );
  }
  return new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
}

/** One attempt on stderr: its answer (or why there was none) and when the next comes. */
function describeAttempt(report: AttemptReport): string {
  const { outcome } = report;
  const what = outcome.kind === "response"
    ? String(outcome.status)
    : outcome.kind === "timeout"
    ? `no answer within ${formatSeconds(outcome.timeoutMs)}`
    : `unreachable (${outcome.message})`;
  const next = report.retryInMs === null ? "" : `, retrying in ${formatSeconds(report.retryInMs)}`;
  return `attempt ${report.attempt}/${report.maxAttempts}: ${what}${next}`;
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The answer on one line: `<status> <body>`. The body is the receiver's text, any server's:
 * its control characters are spelled out so it cannot drive the terminal or forge a line.
 */
function oneLine(body: string): string {
  return printable(body.replace(/\r?\n$/, ""));
}

/** The receiver's secret is missing: where send looked, and where to run it instead. */
function secretNotSet(secretVar: string, cwd: string): string {
  return `${secretVar} is not set (send reads it from ${cwd}/.env or the environment): run ` +
    `send in the directory of the receiver's .env (where 'hookgate serve' runs), or set ` +
    `${secretVar} to the receiver's secret`;
}

function reportFailure(failure: SendFailure, output: Output, url: string): ExitCode {
  switch (failure.kind) {
    case "invalid-payload":
      throw new CliError(ExitCode.dataError, failure.message);
    case "invalid-url":
      throw usageError(failure.message);
    case "unreachable":
      if (failure.message === "connection refused") {
        throw new CliError(
          ExitCode.unavailable,
          `${connectionRefusedHint(new URL(url).origin)} (start it with 'hookgate serve'; ` +
            `gave up after ${attemptsText(failure.attempts)})`,
        );
      }
      throw new CliError(
        ExitCode.unavailable,
        `could not deliver to ${url} after ${attemptsText(failure.attempts)}${
          stopText(failure.why)
        }: ${failure.message}`,
      );
    case "status":
      output.out(`${failure.status} ${oneLine(failure.body)}`);
      output.err(`hookgate: delivery failed: ${statusText(failure)}`);
      return ExitCode.failed;
  }
}

function statusText(failure: Extract<SendFailure, { kind: "status" }>): string {
  switch (failure.why) {
    case "redirect":
      return `the receiver answered ${failure.status} (redirect${
        // A header value may hold bytes 0x80-0xff, read as C1 controls.
        failure.location
          ? ` to ${printable(failure.location)}`
          : ""}); a signed delivery is not redirected: send to the final URL`;
    case "gone":
      return "the receiver answered 410 Gone: the endpoint is retired; not retried";
    case "rejected":
      return `the receiver rejected the delivery with ${failure.status}; not retried ` +
        `(${rejectedFix(failure.status)})`;
    case "retry-after":
      return `the receiver answered ${failure.status} and asked to be retried in ${
        waitText(failure.retryAfterMs ?? 0)
      } (Retry-After), later than --max-elapsed allows: send again then`;
    case "wrong-protocol":
    case "attempts-exhausted":
    case "time-exhausted":
      return `still ${failure.status} after ${attemptsText(failure.attempts)}${
        stopText(failure.why)
      }`;
  }
}

/** What to change for a refusal that repeating cannot fix: it depends on which gate said no. */
function rejectedFix(status: number): string {
  switch (status) {
    case 401:
      return "check the secret and the scheme; after 'hookgate rotate', restart serve so it " +
        "reads the new secret";
    case 404:
    case 405:
      return "no route takes POST at this path: check the URL's path; 'hookgate serve' prints " +
        "its routes when it starts (POST /webhook unless HOOKGATE_ROUTES or --route say otherwise)";
    case 413:
      return "the payload is larger than the receiver takes (serve: --max-body-bytes)";
    default:
      return "check the URL and the payload";
  }
}

/** A wait as a person reads it: `45 s`, `20 min`, `2 h`. */
function waitText(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.ceil(seconds / 60)} min`;
  return `${Math.ceil(seconds / 3600)} h`;
}

function attemptsText(attempts: number): string {
  return attempts === 1 ? "1 attempt" : `${attempts} attempts`;
}

function stopText(why: string): string {
  return why === "time-exhausted" ? " (--max-elapsed reached)" : "";
}

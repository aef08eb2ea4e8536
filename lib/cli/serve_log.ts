/**
 * What `serve` says on stderr while it runs: one line per request as a person
 * reads it (`12:00:01 401 POST /webhook bad signature`), one per hand-off when
 * it ends (`agent exit 127, retry 2/5 in 2 s` with the tail of the agent's
 * stderr), or the same as JSON lines for machines. A flood of refusals is
 * summarised once per window instead of printed line by line. Every line goes
 * out through `write`, which is the redacting Output.
 */
import type { ApiRecord } from "../api/mod.ts";
import { isReplay, type RequestRecord } from "../receive/mod.ts";
import { shellQuote } from "../handoff/mod.ts";
import { truncateForPrinting } from "../redact/mod.ts";
import { jsonLine, printable } from "./printable.ts";
import { fail, keyJoiner, ok, type Result, windowedTally } from "../util/mod.ts";

export const SERVE_LOG_FLAGS = {
  "log-format": { type: "string" },
  quiet: { type: "boolean", short: "q" },
} as const;

export const SERVE_LOG_HELP =
  `  --log-format FMT     text (default: one line per request, as a person reads it)
                       or json (one JSON object per line, for machines)
  -q, --quiet          no per-request or hand-off lines (start-up and errors only)`;

export type LogFormat = "text" | "json";

export interface ServeLogSettings {
  format: LogFormat;
  quiet: boolean;
}

export function parseServeLogFlags(
  values: { "log-format"?: string; quiet?: boolean },
): Result<ServeLogSettings> {
  const format = values["log-format"] ?? "text";
  if (format !== "text" && format !== "json") {
    return fail(`--log-format must be text or json, got '${format}'`);
  }
  return ok({ format, quiet: values.quiet === true });
}

/** How one hand-off to the agent ended. */
export interface HandoffReport {
  route: string;
  key: string;
  id: string | null;
  attempt: number;
  maxAttempts: number;
  ok: boolean;
  /** `exit 127`, `timed out after 60000 ms`, … (null on success). */
  error: string | null;
  exitCode: number | null;
  durationMs: number;
  /** The wait before the next attempt, or null when none follows. */
  retryInMs: number | null;
  /** The last lines of the agent's stderr (printed through the redactor). */
  stderrTail: string[];
}

export interface ServeLogOptions extends ServeLogSettings {
  /** Colour (only on a terminal, and never with NO_COLOR). */
  color: boolean;
  write(line: string): void;
  now(): number;
  /** Refusals printed per window before the rest are only counted (default 10). */
  refusalsPerWindow?: number;
  /** Default 10 s. */
  windowMs?: number;
  /** The routes' paths, named after a 404 so a sender's wrong path is seen at once. */
  routePaths?: readonly string[];
  /** What `hookgate events` needs to open serve's store (storeFlags), added to the redeliver command. */
  storeFlags?: readonly string[];
}

export interface ServeLog {
  request(record: RequestRecord): void;
  api(record: ApiRecord): void;
  handoff(report: HandoffReport): void;
  /** Prints the summary of refusals still held back. */
  close(): void;
}

const STDERR_TAIL_LINES = 3;
const MAX_LINE_CHARS = 200;

/** The last lines of an agent's stderr, each cut to a readable length. */
export function stderrTail(stderr: string, lines: number = STDERR_TAIL_LINES): string[] {
  return stderr.split(/\r?\n/).map((line) => line.trimEnd()).filter((line) => line !== "")
    .slice(-lines).map((line) => truncateForPrinting(line, MAX_LINE_CHARS));
}

/** Whether stderr gets colour: a terminal, and NO_COLOR unset or empty (no-color.org). */
export function useColor(env: Record<string, string>, isTerminal: boolean): boolean {
  return isTerminal && (env.NO_COLOR ?? "") === "";
}

export function createServeLog(options: ServeLogOptions): ServeLog {
  const paint = (code: number, text: string) =>
    options.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  const storeArgs = (options.storeFlags ?? []).map((arg) => ` ${printable(shellQuote(arg))}`)
    .join("");
  // HH:MM:SS in local time; formatted once a second (the time zone lookup is the costly part).
  let clockSecond = Number.NaN;
  let clockText = "";
  const clock = (ms: number) => {
    const second = Math.floor(ms / 1000);
    if (second !== clockSecond) {
      clockSecond = second;
      clockText = new Date(ms).toTimeString().slice(0, 8);
    }
    return clockText;
  };
  // Refusals past the window's limit are only counted, then summarised in one line.
  const refusals = windowedTally<null>({
    windowMs: options.windowMs ?? 10_000,
    passPerWindow: options.refusalsPerWindow ?? 10,
    now: options.now,
    report(entries, other) {
      const counts = [...entries].map(([what, { count }]): [string, number] => [what, count]);
      if (other > 0) counts.push(["other", other]);
      const total = counts.reduce((sum, [, count]) => sum + count, 0);
      if (options.format === "json") {
        options.write(jsonLine({
          time: new Date(options.now()).toISOString(),
          type: "refusals-summarised",
          count: total,
          reasons: Object.fromEntries(counts),
        }));
      } else {
        const parts = counts.sort((a, b) => b[1] - a[1]).map(([what, n]) => `${what} ×${n}`);
        options.write(
          `${clock(options.now())} ${paint(33, `… ${total} more refusals not shown`)} (${
            parts.join(", ")
          })`,
        );
      }
    },
  });

  const refusalKey = keyJoiner();
  /**
   * False when the line is only counted: too many refusals (an answer of 400 or more, or a
   * replay: isReplay() says why) in this window.
   */
  const admit = (refused: boolean, status: number, reason: string): boolean =>
    !refused || refusals.passOrCount(refusalKey(status, reason), null);

  const statusText = (status: number) =>
    paint(status < 300 ? 32 : status < 500 ? 33 : 31, String(status));
  const routesText = options.routePaths === undefined || options.routePaths.length === 0
    ? ""
    : ` (routes: ${options.routePaths.map((path) => `POST ${printable(path)}`).join(", ")})`;

  return {
    request(record) {
      if (options.quiet) return;
      const replay = isReplay(record);
      const outcome = replay ? "duplicate-ignored" : record.outcome;
      if (!admit(replay || record.status >= 400, record.status, outcome)) return;
      if (options.format === "json") {
        options.write(jsonLine({
          time: new Date(options.now()).toISOString(),
          type: "request",
          status: record.status,
          method: record.method,
          path: record.path,
          route: record.route,
          outcome,
          key: record.key,
          id: record.id,
          remote: record.remoteAddress,
          ms: Math.round(record.durationMs * 10) / 10,
        }));
        return;
      }
      const key = record.key === null ? "" : ` ${shortKey(record.key)}`;
      const routes = record.status === 404 ? routesText : "";
      options.write(
        `${clock(options.now())} ${statusText(record.status)} ${record.method} ` +
          `${printable(record.path)} ${outcome}${key}${routes}`,
      );
    },
    api(record) {
      if (options.quiet) return;
      const outcome = record.refused === null
        ? `${record.scope} token ${record.tokenId?.slice(0, 8)}`
        : `token ${record.refused.replaceAll("_", " ")}`;
      if (!admit(record.status >= 400, record.status, outcome)) return;
      if (options.format === "json") {
        options.write(jsonLine({
          time: new Date(options.now()).toISOString(),
          ...record,
        }));
        return;
      }
      options.write(
        `${clock(options.now())} ${statusText(record.status)} ${record.method} ` +
          `${printable(record.path)} ${outcome}`,
      );
    },
    handoff(report) {
      if (options.quiet) return;
      const dead = !report.ok && report.retryInMs === null;
      if (options.format === "json") {
        options.write(jsonLine({
          time: new Date(options.now()).toISOString(),
          type: "handoff",
          ...report,
          dead,
        }));
        return;
      }
      const seconds = formatDuration(report.durationMs);
      const who = `${report.route}/${shortKey(report.key)}`;
      let line: string;
      if (report.ok) {
        line = `${paint(32, "agent done")} ${who} (exit 0, ${seconds})`;
      } else if (!dead) {
        line = `${paint(33, `agent ${report.error}`)}, retry ${report.attempt + 1}/` +
          `${report.maxAttempts} in ${formatDuration(report.retryInMs ?? 0)} ${who} (${seconds})`;
      } else {
        line = `${paint(31, `agent ${report.error}`)}, dead letter after ${report.attempt} ` +
          `attempt${report.attempt === 1 ? "" : "s"} ${who}: retry it with: ` +
          // The key is the sender's id: quoted for the shell, so the line is safe to paste.
          `hookgate events redeliver ${printable(shellQuote(`${report.route}/${report.key}`))}` +
          storeArgs;
      }
      options.write(`${clock(options.now())} ${line}`);
      for (const tail of report.stderrTail) options.write(`           │ ${printable(tail)}`);
    },
    close: refusals.flush,
  };
}

/** `id:e42` stays; a content digest is cut to something a person can compare. */
function shortKey(key: string): string {
  return key.startsWith("sha256:") ? `${key.slice(0, 19)}…` : printable(key);
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  return seconds < 10 ? `${seconds.toFixed(1).replace(/\.0$/, "")} s` : `${Math.round(seconds)} s`;
}

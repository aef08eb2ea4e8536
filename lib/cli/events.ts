/**
 * `hookgate events ls|show|redeliver|tail`: the store as a person reads it, from the local
 * store or a running serve (events_source.ts); payloads are shown only redacted.
 */
import { plainHttpWarning } from "./plain_http.ts";
import { escapeJsonControls, printable } from "./printable.ts";
import { chooseStore, openChosenStore, STORE_FLAGS } from "./store_choice.ts";
import { usageError } from "./cli_error.ts";
import { parseDurationMs, parsePositiveInt } from "../setup/mod.ts";
import type { EventStatus } from "../store/mod.ts";
import { ExitCode } from "./exit_codes.ts";
import { stringifyRedacted } from "../redact/mod.ts";
import { looksLikeEventKey } from "../receive/mod.ts";
import { numberFlag, parseCommandArgs, valueFlags } from "./args.ts";
import type { Command, CommandContext } from "./command.ts";
import { suggest } from "./did_you_mean.ts";
import {
  type EventsSource,
  type EventView,
  localSource,
  remoteSource,
  remoteToken,
  STATUSES,
} from "./events_source.ts";

const SUBCOMMANDS = ["ls", "show", "redeliver", "tail"] as const;
type Subcommand = typeof SUBCOMMANDS[number];

const HELP = `hookgate events — look at received events and hand one to the agent again

Usage: hookgate events ls [--status S] [--route NAME] [--limit N] [--json]
       hookgate events show ROUTE/KEY
       hookgate events redeliver ROUTE/KEY
       hookgate events tail [--interval DUR]

  ls         a table of events, newest first: received, route/key, status, attempts, last error
             (also: list)
  show       one event with its payload (redacted)
  redeliver  make a done or dead event pending again; serve hands it off anew
  tail       print events as they arrive and each change of their status, until Ctrl-C

ROUTE/KEY is what serve prints, e.g. webhook/id:e42.

Options:
  --status S           pending, done, dead or all (default all)
  --route NAME         only this route (its name: /hooks/github is hooks-github)
  --limit N            at most N events (default 20)
  --json               JSON instead of a table (ls, show)
  --interval DUR       how often tail looks for changes (default 1s)
  --url URL            ask a running serve through its inspection API instead of
                       the local store; the token is minted from HOOKGATE_TOKEN_SECRET
                       in .env, else taken from HOOKGATE_TOKEN
  --data-dir DIR       where the local store lives (default .hookgate)
  --store SPEC         the local store, as for serve (also HOOKGATE_STORE)
  -h, --help           show this help

Examples:
  hookgate events ls --status dead
  hookgate events show webhook/id:e42
  hookgate events redeliver webhook/id:e42 --url http://127.0.0.1:8000
  hookgate events tail --interval 5s

Exit codes: 0 ok · 1 no such event · 64 usage · 69 store or server unreachable
· 77 token refused · 78 no token for --url.`;

const FLAGS = {
  ...valueFlags("status", "route", "limit", "interval", "url"),
  json: { type: "boolean" },
  ...STORE_FLAGS,
} as const;

interface EventsOptions {
  statuses: readonly EventStatus[];
  route: string | null;
  limit: number;
  json: boolean;
  intervalMs: number;
}

async function run(context: CommandContext): Promise<ExitCode> {
  const { values, positionals } = parseCommandArgs("events", context.args, FLAGS);
  const [given, ...operands] = positionals;
  // `list` is what people type first.
  const sub = given === "list" ? "ls" : given;
  if (sub === undefined) {
    throw usageError("events needs a subcommand: ls, show, redeliver or tail");
  }
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
    const hint = suggest(sub, SUBCOMMANDS);
    throw usageError(
      `unknown events subcommand '${sub}'${hint ? `: did you mean '${hint}'?` : ""} ` +
        `(ls, show, redeliver, tail)`,
    );
  }
  const options = parseOptions(values);
  const target = sub === "show" || sub === "redeliver" ? eventRef(sub, operands) : null;
  if (target === null && operands.length > 0) {
    throw usageError(`events ${sub} takes no arguments, got '${operands[0]}'`);
  }
  const source = await openSource(context, values, sub === "redeliver" ? "write" : "read");
  try {
    switch (sub as Subcommand) {
      case "ls":
        return await list(context, source, options);
      case "show":
        return await show(context, source, target!, options.json);
      case "redeliver":
        return await redeliver(context, source, target!);
      case "tail":
        return await tail(context, source, options);
    }
  } finally {
    await source.close();
  }
  return ExitCode.ok;
}

function parseOptions(values: Record<string, string | boolean | undefined>): EventsOptions {
  const status = (values.status as string | undefined) ?? "all";
  if (status !== "all" && !(STATUSES as readonly string[]).includes(status)) {
    throw usageError(`--status must be pending, done, dead or all, got '${status}'`);
  }
  const limit = numberFlag("--limit", values.limit as string | undefined, parsePositiveInt, {
    fallback: 20,
  });
  return {
    statuses: status === "all" ? STATUSES : [status as EventStatus],
    route: (values.route as string | undefined) ?? null,
    limit: Math.min(limit, 1000),
    json: values.json === true,
    intervalMs: numberFlag("--interval", values.interval as string | undefined, parseDurationMs, {
      fallback: 1000,
    }),
  };
}

/** `webhook/id:e42` → route `webhook`, key `id:e42` (a key may itself hold '/'). */
function eventRef(sub: string, operands: string[]): { route: string; key: string } {
  const [ref, ...rest] = operands;
  const slash = ref?.indexOf("/") ?? -1;
  if (ref === undefined || rest.length > 0 || slash <= 0 || slash === ref.length - 1) {
    throw usageError(`events ${sub} takes one ROUTE/KEY, as serve prints it: e.g. webhook/id:e42`);
  }
  return { route: ref.slice(0, slash), key: ref.slice(slash + 1) };
}

async function openSource(
  context: CommandContext,
  values: { url?: string; "data-dir"?: string; store?: string },
  scope: "read" | "write",
): Promise<EventsSource> {
  if (values.url !== undefined) {
    let url: URL;
    try {
      url = new URL(values.url);
    } catch {
      throw usageError(
        `--url must be serve's address, e.g. http://127.0.0.1:8000, got '${values.url}'`,
      );
    }
    const token = remoteToken(context.env, scope, Date.now());
    context.output.protect([token]);
    const warning = plainHttpWarning(
      url,
      "anyone on the path can read the bearer token, use it until it expires, and read the events",
    );
    if (warning !== null) context.output.err(warning);
    return remoteSource(url, token);
  }
  const store = await openChosenStore(chooseStore(values, context), context, { create: false });
  return localSource(store, context.output.redactor);
}

async function collect(source: EventsSource, options: EventsOptions): Promise<EventView[]> {
  const all: EventView[] = [];
  for (const status of options.statuses) {
    // A route filter looks further than --limit, so N events of that route can be found.
    all.push(...await source.list(status, options.route === null ? options.limit : 1000));
  }
  return all.filter((event) => options.route === null || event.route === options.route)
    .sort((a, b) => b.receivedAt.localeCompare(a.receivedAt)).slice(0, options.limit);
}

async function list(
  context: CommandContext,
  source: EventsSource,
  options: EventsOptions,
): Promise<ExitCode> {
  const events = await collect(source, options);
  if (options.json) {
    printJson(context, events);
    return ExitCode.ok;
  }
  if (events.length === 0) {
    context.output.err("no events");
    return ExitCode.ok;
  }
  // Every cell: with --url the whole row is another server's answer, status and time too.
  // Redacted before the columns are measured: a key that looks like a credential is shorter
  // once redacted, and the line's own redaction would leave its column out of step.
  const rows = events.map((event) =>
    [
      String(event.receivedAt).replace("T", " ").slice(0, 19),
      `${event.route}/${event.key}`,
      String(event.status),
      String(event.attempt),
      event.lastError ?? "",
    ].map((cell) => context.output.redactor.text(printable(cell)))
  );
  for (const line of table(["RECEIVED (UTC)", "EVENT", "STATUS", "ATTEMPTS", "LAST ERROR"], rows)) {
    context.output.out(line);
  }
  return ExitCode.ok;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0))
  );
  return [header, ...rows].map((row) =>
    row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd()
  );
}

async function show(
  context: CommandContext,
  source: EventsSource,
  target: { route: string; key: string },
  json: boolean,
): Promise<ExitCode> {
  const event = await source.get(target.route, target.key);
  if (event === null) return noSuchEvent(context, target);
  if (json) {
    printJson(context, event);
    return ExitCode.ok;
  }
  const { payload, ...fields } = event;
  for (const [name, value] of Object.entries(fields)) {
    context.output.out(`${`${name}:`.padEnd(14)}${printable(String(value ?? "-"))}`);
  }
  context.output.out("payload:");
  printJson(context, payload);
  return ExitCode.ok;
}

async function redeliver(
  context: CommandContext,
  source: EventsSource,
  target: { route: string; key: string },
): Promise<ExitCode> {
  const result = await source.redeliver(target.route, target.key);
  if (result === "unknown") return noSuchEvent(context, target);
  if (result === "pending") {
    // A pending event may be in an agent's hands right now: redelivering it would run it twice.
    context.output.err(
      `hookgate: ${target.route}/${target.key} is pending: only a done or dead event can be ` +
        "redelivered",
    );
    return ExitCode.failed;
  }
  context.output.out(`${target.route}/${target.key} is pending again: serve hands it off anew`);
  return ExitCode.ok;
}

function noSuchEvent(context: CommandContext, target: { route: string; key: string }): ExitCode {
  context.output.err(
    `hookgate: no event ${target.route}/${target.key}: ` +
      // The bare id is the usual slip.
      (looksLikeEventKey(target.key)
        ? "'hookgate events ls' lists them"
        : `keys start with id: or sha256:, e.g. ${target.route}/id:${target.key}`),
  );
  return ExitCode.failed;
}

/** Polls the source and prints each new event and each change of status or attempt. */
async function tail(
  context: CommandContext,
  source: EventsSource,
  options: EventsOptions,
): Promise<ExitCode> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, onSignal);
  const seen = new Map<string, string>();
  const startedMs = Date.now();
  let first = true;
  try {
    while (!stop.signal.aborted) {
      const events = (await collect(source, { ...options, limit: 1000 })).reverse();
      for (const event of events) {
        const id = `${event.route}/${event.key}`;
        const state = `${event.status} (attempt ${event.attempt})`;
        // With when it last changed: a redelivered event that failed again between two looks
        // is back at the same status and attempt, and that outcome is news too.
        const change = `${state} ${event.updatedAt ?? ""}`;
        if (seen.get(id) === change) continue;
        seen.set(id, change);
        // What was settled before tail started is history: only news is printed.
        if (first && event.status !== "pending" && Date.parse(event.receivedAt) < startedMs) {
          continue;
        }
        const error = event.status !== "done" && event.lastError ? `: ${event.lastError}` : "";
        context.output.out(
          `${new Date().toTimeString().slice(0, 8)} ${printable(`${id} ${state}${error}`)}`,
        );
      }
      if (first) context.output.err("following new events and their outcomes (Ctrl-C to stop)");
      first = false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.intervalMs);
        stop.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
    }
  } finally {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.removeSignalListener(signal, onSignal);
    }
  }
  return ExitCode.ok;
}

export const eventsCommand: Command = { help: HELP, run };

/**
 * Redacted JSON on stdout, with the DEL and C1 controls JSON leaves raw escaped: a payload's
 * strings are anyone's text and must not drive the terminal.
 */
function printJson(context: CommandContext, value: unknown): void {
  context.output.out(escapeJsonControls(stringifyRedacted(context.output.redactor, value)));
}

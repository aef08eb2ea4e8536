/**
 * `hookgate mcp`: reads the flags, opens the store, drops the permissions the chosen tool
 * groups do not need, and serves lib/mcp/ over stdio.
 */
import {
  chooseStore,
  isSharedStore,
  openChosenStore,
  STORE_FLAGS,
  type StoreChoice,
} from "./store_choice.ts";
import denoConfig from "../../deno.json" with { type: "json" };
import { ALLOW_HOSTS_VAR, ALLOW_PRIVATE_VAR, parseEgressPolicy } from "../egress/mod.ts";
import { DEFAULT_EXEC_ATTEMPTS, execRetryDelayMs } from "../handoff/mod.ts";
import {
  createHookgateMcpServer,
  DEFAULT_WAIT_SECONDS,
  MAX_WAIT_SECONDS,
  serveStdio,
  TOOL_GROUPS,
  type ToolGroup,
} from "../mcp/mod.ts";
import {
  narrowToTask,
  parseDurationMs,
  parsePositiveInt,
  type PermissionKind,
} from "../setup/mod.ts";
import { localStoreFile } from "../store/mod.ts";
import { pathExists } from "../util/mod.ts";
import { parseRedisUrl, redisSecretValues } from "../store/redis/mod.ts";
import { noPositionals, numberFlag, parseCommandArgs, valueFlags } from "./args.ts";
import { configError, usageError } from "./cli_error.ts";
import type { Command, CommandContext } from "./command.ts";
import { MAX_EXEC_ATTEMPTS } from "./exec_settings.ts";
import { ExitCode } from "./exit_codes.ts";

const DEFAULT_LEASE_MS = 5 * 60_000;
const MAX_LEASE_MS = 24 * 3_600_000;

const HELP = `hookgate mcp — the fetch tool and the event inbox as MCP tools, over stdio

Usage: hookgate mcp [options]

An MCP server for an agent's client: it speaks the protocol on stdin/stdout
(diagnostics go to stderr) until the client closes stdin. Tools:
  fetch_url    request a URL only if its host is on ${ALLOW_HOSTS_VAR} (the
               guard of 'hookgate fetch'); a refusal names the host and the list
  events_next  wait for the next pending verified event (default ${DEFAULT_WAIT_SECONDS} s,
               at most ${MAX_WAIT_SECONDS}) and lease it to this session for --lease
  events_ack   the leased event is done: never handed out again
  events_fail  the leased event failed: retried with backoff, dead after --attempts
  events_list  events by status and route, newest first;  event_get  one in full
An event leased but not settled before its lease ends is handed out again.
Run 'hookgate serve --pull' on the same --store to receive events for it.
It reads .env and the store from its working directory: give the client your
project directory as the server's cwd, and hookgate's full path as its command
('command -v hookgate' prints it).

Options:
  --tools LIST         which tool groups to offer: fetch, events or fetch,events (default)
  --read-only          offer no tool that changes the inbox (no events_next, events_ack,
                       events_fail): events_list and event_get only
  --store SPEC         as for serve: sqlite:PATH (default DIR/hookgate.db), kv:PATH or
                       redis://[user@]HOST:PORT[/DB] (also HOOKGATE_STORE; the password
                       from REDIS_PASSWORD)
  --data-dir DIR       where the embedded store lives (default .hookgate)
  --lease DUR          how long a leased event stays invisible to others (default 5m,
                       at most 24h)
  --attempts N         attempts before a failed event becomes a dead letter (default
                       ${DEFAULT_EXEC_ATTEMPTS}, as 'serve --exec-attempts'; the same backoff)
  -h, --help           show this help

Environment: ${ALLOW_HOSTS_VAR} and ${ALLOW_PRIVATE_VAR} as for 'hookgate fetch';
HOOKGATE_STORE, REDIS_PASSWORD.

Exit codes: 0 the client closed the session (or SIGINT/SIGTERM) · 64 usage ·
69 the store is unavailable · 77 permission denied · 78 invalid allowlist or store.

Examples:
  hookgate mcp
  hookgate mcp --tools events --read-only --store redis://127.0.0.1:6379
  an MCP client's server entry:
    {"command": "/home/you/.deno/bin/hookgate", "args": ["mcp"], "cwd": "/home/you/project"}`;

const FLAGS = {
  ...valueFlags("tools", "lease", "attempts"),
  "read-only": { type: "boolean" },
  ...STORE_FLAGS,
} as const;

export interface McpSettings extends StoreChoice {
  tools: ReadonlySet<ToolGroup>;
  readOnly: boolean;
  leaseMs: number;
  maxAttempts: number;
}

/** Reads and checks every flag before anything is opened: a bad value is exit 64. */
export function parseMcpSettings(context: CommandContext): McpSettings {
  const { values, positionals } = parseCommandArgs("mcp", context.args, FLAGS);
  noPositionals("mcp", positionals);
  return {
    tools: parseTools(values.tools),
    readOnly: values["read-only"] === true,
    ...chooseStore(values, context),
    leaseMs: numberFlag("--lease", values.lease, parseDurationMs, {
      fallback: DEFAULT_LEASE_MS,
      max: MAX_LEASE_MS,
      tooLarge: `--lease must be at most 24h, got ${values.lease}`,
    }),
    maxAttempts: numberFlag("--attempts", values.attempts, parsePositiveInt, {
      fallback: DEFAULT_EXEC_ATTEMPTS,
      max: MAX_EXEC_ATTEMPTS,
    }),
  };
}

function parseTools(raw: string | undefined): ReadonlySet<ToolGroup> {
  if (raw === undefined) return new Set(TOOL_GROUPS);
  const names = raw.split(",").map((name) => name.trim()).filter((name) => name !== "");
  const unknown = names.find((name) => !(TOOL_GROUPS as readonly string[]).includes(name));
  if (unknown !== undefined || names.length === 0) {
    throw usageError(
      `--tools takes ${TOOL_GROUPS.join(", ")} or both comma-separated, got '${raw}'`,
    );
  }
  return new Set(names as ToolGroup[]);
}

/** What this session does not need of the mcp task's permissions. */
function unneededPermissions(settings: McpSettings): PermissionKind[] {
  const drop: PermissionKind[] = [];
  const events = settings.tools.has("events");
  const remote = events && isSharedStore(settings);
  // Net serves the fetch tool's hops (each in a Worker held to the allowlist) and a Redis store.
  if (!settings.tools.has("fetch") && !remote) drop.push("net");
  if (!events) drop.push("write");
  return drop;
}

async function run(context: CommandContext): Promise<ExitCode> {
  const settings = parseMcpSettings(context);
  await narrowToTask("mcp", { drop: unneededPermissions(settings) });
  const redisTarget = parseRedisUrl(settings.storeSpec, { password: context.env.REDIS_PASSWORD });
  if (redisTarget.ok) {
    context.output.protect(redisSecretValues(redisTarget.value, settings.storeSpec));
  }
  const policy = parseEgressPolicy(context.env);
  if (settings.tools.has("fetch") && !policy.ok) throw configError(policy.reason);
  const events = settings.tools.has("events");
  const storeFile = events ? localStoreFile(settings.storeSpec, settings.dataDir) : null;
  const storeExisted = storeFile === null || await pathExists(storeFile);
  const store = events ? await openChosenStore(settings, context, { create: true }) : null;
  // A client started in the wrong directory would otherwise serve an empty inbox in silence.
  if (!storeExisted) {
    context.output.err(
      `hookgate: warning: no event store was at ${storeFile}, so mcp made an empty one: ` +
        "events reach it only from a 'hookgate serve --pull' on the same store (by default, " +
        `one run in ${context.cwd}); if serve runs in another directory, give the MCP client ` +
        "that directory as its cwd (docs/agents.md)",
    );
  }
  if (settings.tools.has("fetch") && policy.ok && !policy.value.allowHostsGiven) {
    context.output.err(
      `hookgate: warning: ${ALLOW_HOSTS_VAR} is not set (no .env in ${context.cwd}?), so ` +
        `fetch_url denies every host: set it in the project's .env or the client's env`,
    );
  }
  const stopping = new AbortController();
  const onSignal = () => stopping.abort();
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, onSignal);
  try {
    const server = createHookgateMcpServer({
      version: denoConfig.version,
      redactor: context.output.redactor,
      warn: (line) => context.output.err(`hookgate: ${line}`),
      ...(settings.tools.has("fetch") && policy.ok
        ? { fetch: { policy: policy.value, userAgent: `hookgate/${denoConfig.version}` } }
        : {}),
      ...(store === null ? {} : {
        events: {
          store,
          leaseMs: settings.leaseMs,
          retryPolicy: { maxAttempts: settings.maxAttempts, retryDelayMs: execRetryDelayMs },
          readOnly: settings.readOnly,
          signal: stopping.signal,
        },
      }),
    });
    context.output.err(
      `hookgate: mcp serving ${[...settings.tools].join(", ")} tools on stdio` +
        (settings.readOnly ? " (read-only)" : ""),
    );
    await serveStdio(server, {
      redactor: context.output.redactor,
      warn: (line) => context.output.err(`hookgate: ${line}`),
      signal: stopping.signal,
    });
  } finally {
    stopping.abort();
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.removeSignalListener(signal, onSignal);
    }
    await store?.close();
  }
  return ExitCode.ok;
}

export const mcpCommand: Command = { help: HELP, run };

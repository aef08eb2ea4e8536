import { errorMessage } from "../util/mod.ts";
import { CliError, configError, usageError } from "./cli_error.ts";
import {
  createEventsApi,
  createEventsStream,
  openTokenRevocations,
  tokenKeyFromEnv,
  type TokenRevocations,
} from "../api/mod.ts";
import { narrowToTask, parseDurationMs, parsePositiveInt, TOKEN_SECRET_VAR } from "../setup/mod.ts";
import {
  defaultStoreSpec,
  type EventStore,
  type HandlerOutcome,
  openStore,
  type StoredEvent,
} from "../store/mod.ts";
import { ExitCode } from "./exit_codes.ts";
import { createExecHandler, execRetryDelayMs, type ExecSettings } from "../handoff/mod.ts";
import { EXEC_FLAGS, EXEC_HELP, parseExecSettings, prepareExec } from "./exec_settings.ts";
import type { Output } from "./output.ts";
import { secretValuesFromEnv } from "../redact/mod.ts";
import { buildRoutes, createWebhookHandler, pathOf, routeSecretValues } from "../receive/mod.ts";
import {
  openTraceFromFlags,
  TRACE_FLAGS,
  TRACE_HELP,
  type TraceFlagValues,
} from "./trace_flags.ts";
import { parseRedisUrl, redisSecretValues } from "../store/redis/mod.ts";
import { eventsPageResponse } from "../ui/mod.ts";
import { parseCommandArgs } from "./args.ts";
import type { Command, CommandContext } from "./command.ts";
import { watchHandoffs } from "./handoff_watch.ts";
import { routeProblem } from "./provider_setup.ts";
import { listen, listeningLine } from "./serve_listen.ts";
import {
  createServeLog,
  parseServeLogFlags,
  SERVE_LOG_FLAGS,
  SERVE_LOG_HELP,
  type ServeLogSettings,
  useColor,
} from "./serve_log.ts";

const HELP = `hookgate serve — receive webhooks through three gates, then hand them to the agent

Usage: hookgate serve [options]

Every POST to a route passes: a fresh timestamp (401), a valid HMAC-SHA256
(401, constant-time), a JSON object body (400), and an unseen event id (the
claim and the inbox record are one durable commit; a replay is answered
{"status":"duplicate-ignored"}). Accepted events are printed to stdout as one
JSON line each: {"event":"verified","id":...,"payload":...}.

Options:
  --port N             port to listen on (default 8000; 0 = any free port, printed)
  --hostname HOST      address to bind (default 127.0.0.1; 0.0.0.0 to expose)
  --tolerance DUR      allowed clock skew of the timestamp, both ways: 30s, 5m
                       (default 300; a bare number is seconds)
  --max-body-bytes N   larger bodies get 413, also without Content-Length (default 1048576)
  --data-dir DIR       where the embedded store lives (default .hookgate, created if missing)
  --store SPEC         kv:PATH (default kv:DIR/hookgate.kv) or
                       redis://[user@]HOST:PORT[/DB][?prefix=…&visibility_timeout=…]
                       (also HOOKGATE_STORE; the password from REDIS_PASSWORD)
  --route SPEC         PATH=SCHEME:SECRET_VAR, repeatable (also HOOKGATE_ROUTES);
                       the routes given replace the default /webhook=hookgate:WEBHOOK_SECRET
                       (list it too to keep it); SCHEME: hookgate, standard, github, stripe
${EXEC_HELP}
${SERVE_LOG_HELP}
${TRACE_HELP}
  -h, --help           show this help

Routes: POST /webhook (or each --route instead), GET /healthz; with HOOKGATE_TOKEN_SECRET
set also the inspection API (bearer token from 'hookgate token'):
GET /events?status=pending|done|dead&limit=N, GET /events/{route}/{key},
GET /events/stream (live changes as Server-Sent Events) (read),
POST /events/{route}/{key}/redeliver (write); and the events page at GET /ui
(open it with the link 'hookgate ui' prints).
Environment: each route's secret variable (WEBHOOK_SECRET for the default route, at
least 16 bytes; <VAR>_PREVIOUS for rotated-out secrets), HOOKGATE_TOKEN_SECRET.
SIGINT/SIGTERM: in-flight requests finish, the store closes, exit 0.

Examples:
  hookgate serve
  hookgate serve --exec ./agent.sh --route /github=github:GITHUB_WEBHOOK_SECRET

Exit codes: 0 stopped by SIGINT/SIGTERM · 64 usage · 69 port taken or store
unreachable · 77 permission denied · 78 a secret missing or weak, a bad route.`;

const FLAGS = {
  port: { type: "string" },
  hostname: { type: "string" },
  tolerance: { type: "string" },
  "max-body-bytes": { type: "string" },
  "data-dir": { type: "string" },
  store: { type: "string" },
  route: { type: "string", multiple: true },
  ...EXEC_FLAGS,
  ...TRACE_FLAGS,
  ...SERVE_LOG_FLAGS,
} as const;

export interface ServeSettings {
  port: number;
  hostname: string;
  toleranceSeconds: number;
  maxBodyBytes: number;
  dataDir: string;
  storeSpec: string;
  /** Whether the spec came from --store (a bad one is then a usage error, else configuration). */
  storeFromFlag: boolean;
  routeSpecs: string[];
  /** null without --exec: accepted events are printed instead. */
  exec: ExecSettings | null;
  trace: TraceFlagValues;
  log: ServeLogSettings;
}

/** Reads and checks every flag before anything listens: a bad value is exit 64. */
export function parseServeSettings(context: CommandContext): ServeSettings {
  const { values, positionals } = parseCommandArgs("serve", context.args, FLAGS);
  if (positionals.length > 0) {
    throw usageError(`unexpected argument '${positionals[0]}'\nRun 'hookgate serve --help'.`);
  }
  const positive = (flag: string, raw: string | undefined, fallback: number): number => {
    if (raw === undefined) return fallback;
    const parsed = parsePositiveInt(`--${flag}`, raw);
    if (!parsed.ok) throw usageError(parsed.reason);
    return parsed.value;
  };
  const rawPort = values.port ?? "8000";
  if (!/^[0-9]{1,5}$/.test(rawPort) || Number(rawPort) > 65535) {
    throw usageError(`--port must be a port number from 0 to 65535, got '${rawPort}'`);
  }
  const hostname = values.hostname ?? "127.0.0.1";
  if (hostname.trim() === "") throw usageError("--hostname must not be empty");
  const dataDir = values["data-dir"] ?? `${context.cwd}/.hookgate`;
  const exec = parseExecSettings(values, context.env);
  if (!exec.ok) throw usageError(exec.reason);
  const log = parseServeLogFlags(values);
  if (!log.ok) throw usageError(log.reason);
  return {
    port: Number(rawPort),
    hostname,
    toleranceSeconds: toleranceSeconds(values.tolerance),
    maxBodyBytes: positive("max-body-bytes", values["max-body-bytes"], 1_048_576),
    dataDir,
    storeSpec: values.store ?? context.env.HOOKGATE_STORE ?? defaultStoreSpec(dataDir),
    storeFromFlag: values.store !== undefined,
    routeSpecs: values.route ?? [],
    exec: exec.value,
    trace: values,
    log: log.value,
  };
}

/** `--tolerance`: a duration (bare number = seconds), whole seconds from 1s. */
function toleranceSeconds(raw: string | undefined): number {
  if (raw === undefined) return 300;
  const parsed = parseDurationMs("--tolerance", raw);
  if (!parsed.ok) throw usageError(parsed.reason);
  if (parsed.value % 1000 !== 0) {
    throw usageError("--tolerance must be whole seconds, e.g. 300 or 5m");
  }
  return parsed.value / 1000;
}

/** The act step without `--exec`: a `VERIFIED:` line per event, as one JSON line. */
export function printVerified(output: Output): (event: StoredEvent) => Promise<HandlerOutcome> {
  const decoder = new TextDecoder();
  return (event) => {
    output.out(JSON.stringify({
      event: "verified",
      id: event.id,
      payload: JSON.parse(decoder.decode(event.payload)),
    }));
    return Promise.resolve({ ok: true });
  };
}

async function openConfiguredStore(
  settings: ServeSettings,
  context: CommandContext,
): Promise<EventStore> {
  if (settings.storeSpec.startsWith("kv:") || settings.storeSpec === "kv") {
    await Deno.mkdir(settings.dataDir, { recursive: true });
  }
  try {
    return await openStore(settings.storeSpec, {
      dataDir: settings.dataDir,
      ...(context.env.REDIS_PASSWORD === undefined
        ? {}
        : { redisPassword: context.env.REDIS_PASSWORD }),
      warn: (line) => context.output.err(`hookgate: ${line}`),
    });
  } catch (error) {
    if (error instanceof TypeError) {
      const message = `${settings.storeFromFlag ? "--store" : "HOOKGATE_STORE"}: ${error.message}`;
      throw settings.storeFromFlag ? usageError(message) : configError(message);
    }
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      throw error;
    }
    const reason = errorMessage(error);
    throw new CliError(ExitCode.unavailable, `cannot open the event store: ${reason}`);
  }
}

const SHUTDOWN_GRACE_MS = 30_000;

interface Drainable {
  handle(request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Promise<Response>;
  /** Refuses new requests and resolves once those in flight are answered (or after `graceMs`). */
  drain(graceMs: number): Promise<void>;
}

type Handler = (
  request: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Promise<Response>;

function drainable(handler: Handler): Drainable {
  let inFlight = 0;
  let stopping = false;
  let idle: () => void = () => {};
  return {
    async handle(request, info) {
      if (stopping) {
        return new Response(JSON.stringify({ error: "shutting down, retry later" }), {
          status: 503,
          headers: { "content-type": "application/json", connection: "close" },
        });
      }
      inFlight++;
      try {
        return await handler(request, info);
      } finally {
        if (--inFlight === 0) idle();
      }
    },
    drain(graceMs) {
      stopping = true;
      if (inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}

async function run(context: CommandContext): Promise<ExitCode> {
  const settings = parseServeSettings(context);
  // Serve runs a program only for --exec: without it, the run permission goes before any request.
  await narrowToTask("serve", settings.exec === null ? { drop: ["run"] } : {});
  // Secrets under names the redactor cannot guess (a route's MY_HOOK, a Redis URL's password).
  context.output.protect(routeSecretValues(context.env, settings.routeSpecs));
  const redis = parseRedisUrl(settings.storeSpec, { password: context.env.REDIS_PASSWORD });
  if (redis.ok) context.output.protect(redisSecretValues(redis.value, settings.storeSpec));
  const routes = await buildRoutes(context.env, {
    toleranceSeconds: settings.toleranceSeconds,
    routeSpecs: settings.routeSpecs,
    nowMs: Date.now(),
  });
  if (!routes.ok) throw configError(routeProblem(routes.reason, context.env, settings.routeSpecs));
  // The checked settings with what the start-up checks found (the program's path, user, cwd).
  const exec = await prepareExec(settings.exec, settings.dataDir, context);
  const tokenKey = context.env[TOKEN_SECRET_VAR] === undefined
    ? null
    : await tokenKeyFromEnv(context.env);
  if (tokenKey !== null && !tokenKey.ok) throw configError(tokenKey.reason);
  // Opened before the store: a trace path that cannot be written is exit 78 with nothing opened.
  const trace = await openTraceFromFlags(settings.trace, {
    cwd: context.cwd,
    redactor: context.output.redactor,
    onError: (error) => context.output.err(`hookgate: trace write failed: ${error}`),
  });
  let store: EventStore;
  try {
    store = await openConfiguredStore(settings, context);
  } catch (error) {
    await trace.close();
    throw error;
  }
  let revocations: TokenRevocations | null = null;
  const log = createServeLog({
    ...settings.log,
    color: useColor(context.env, Deno.stderr.isTerminal()),
    write: (line) => context.output.err(line),
    now: Date.now,
  });
  const signalled = new AbortController();
  const onSignal = () => signalled.abort();
  // Registered before listening: a SIGTERM right after the listening line is still graceful.
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, onSignal);
  try {
    const webhooks = createWebhookHandler({
      routes: routes.value,
      store,
      maxBodyBytes: settings.maxBodyBytes,
      now: Date.now,
      onRecord: (record) => {
        trace.write(record);
        log.request(record);
      },
    });
    // The inspection API (and the events page that reads it) is on only when its token key is configured.
    const known = tokenKey === null ? null : await openTokenRevocations(settings.dataDir);
    revocations = known;
    const live = known === null ? null : createEventsStream({
      store,
      redactor: context.output.redactor,
      now: Date.now,
      isRevoked: (id) => known.isRevoked(id),
    });
    const api = tokenKey === null || known === null || live === null ? null : createEventsApi({
      store,
      tokenKey: tokenKey.value,
      revocations: known,
      redactor: context.output.redactor,
      now: Date.now,
      onRecord: (record) => {
        trace.write(record);
        log.api(record);
      },
      stream: (request, token) => live.open(request, token),
    });
    const requests = drainable(async (request, info) => {
      const path = pathOf(request.url);
      if (api === null) return await webhooks(request, info.remoteAddr.hostname, path);
      return eventsPageResponse(request, path) ?? (await api(request, path)) ??
        await webhooks(request, info.remoteAddr.hostname, path);
    });
    const maxAttempts = exec?.maxAttempts ?? 5;
    const watch = watchHandoffs((event, hand) => act(event, hand), {
      maxAttempts,
      retryDelayMs: execRetryDelayMs,
      report: (report) => log.handoff(report),
      now: Date.now,
    });
    const act = exec === null ? printVerified(context.output) : createExecHandler({
      command: exec.command,
      cwd: exec.cwd,
      launch: exec.launch,
      env: context.env,
      envAllowlist: exec.envAllowlist,
      timeoutMs: exec.timeoutMs,
      secrets: [
        ...secretValuesFromEnv(context.env),
        ...routeSecretValues(context.env, settings.routeSpecs),
      ],
      onOutput: (report) => {
        trace.write({ type: "exec", ...report });
        watch.noteExec(report);
      },
      warn: (line) => context.output.err(`hookgate: ${line}`),
    });
    const server = listen(
      settings,
      requests.handle,
      (addr) => context.output.err(listeningLine(addr, routes.value, { api: api !== null })),
    );
    const consumer = new AbortController();
    // Without --exec the act step prints the event itself: there is no hand-off to report.
    const consuming = store.consume(exec === null ? act : watch.handler, {
      signal: consumer.signal,
      maxAttempts,
      retryDelayMs: exec === null ? execRetryDelayMs : watch.retryDelayMs,
      concurrency: exec?.concurrency ?? 1,
    });
    await Promise.race([
      new Promise((resolve) => signalled.signal.addEventListener("abort", resolve, { once: true })),
      consuming,
    ]);
    // Deno's shutdown() cuts off a request body still being read, so requests
    // in flight are first allowed to finish (new ones get 503: senders retry).
    // Live views end first: an open stream would otherwise hold shutdown() up.
    live?.close();
    await requests.drain(SHUTDOWN_GRACE_MS);
    await server.shutdown();
    consumer.abort();
    await consuming;
  } finally {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.removeSignalListener(signal, onSignal);
    }
    log.close();
    await trace.close();
    revocations?.close();
    await store.close();
  }
  context.output.err("hookgate: stopped");
  return ExitCode.ok;
}

export const serveCommand: Command = { help: HELP, run };

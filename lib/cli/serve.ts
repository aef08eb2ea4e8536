/**
 * `hookgate serve`: puts the program together. It checks the settings, builds the routes,
 * opens the trace and the store, serves the events page, the inspection API and the webhook
 * routes on one port, and runs the consumer that hands events to the agent (docs/architecture.md,
 * "How `serve` is put together").
 */
import { openChosenStore, storeFlags } from "./store_choice.ts";
import { errorMessage } from "../util/mod.ts";
import { configError } from "./cli_error.ts";
import {
  createEventsApi,
  createEventsStream,
  EventRefs,
  openTokenRevocations,
  tokenKeyFromEnv,
  type TokenRevocations,
  withSharedRevocations,
} from "../api/mod.ts";
import { narrowToTask, TOKEN_SECRET_VAR } from "../setup/mod.ts";
import { type EventStore, type HandlerOutcome, type StoredEvent } from "../store/mod.ts";
import { ExitCode } from "./exit_codes.ts";
import { closingReserveMs, drainable, listenForStop, shutDown } from "./serve_shutdown.ts";
import { createExecHandler, execRetryDelayMs } from "../handoff/mod.ts";
import { EXEC_HELP, prepareExec } from "./exec_settings.ts";
import { secretValuesFromEnv } from "../redact/mod.ts";
import {
  buildRoutes,
  createWebhookHandler,
  requestPath,
  routeSecretValues,
} from "../receive/mod.ts";
import { summarizeRefusals } from "../trace/mod.ts";
import { openTraceFromFlags, TRACE_HELP } from "./trace_flags.ts";
import { parseRedisUrl, redisSecretValues } from "../store/redis/mod.ts";
import { eventsPageResponse } from "../ui/mod.ts";
import type { Command, CommandContext } from "./command.ts";
import { watchHandoffs } from "./handoff_watch.ts";
import { jsonLine, printable } from "./printable.ts";
import { routeProblem } from "./provider_setup.ts";
import {
  internalErrorReporter,
  isLoopbackHost,
  listen,
  listeningLine,
  storeErrorReporter,
} from "./serve_listen.ts";
import { createServeLog, SERVE_LOG_HELP, useColor } from "./serve_log.ts";
import { batchLines, type LineBatcher, outputSink } from "./line_batcher.ts";

import { parseServeSettings, type ServeSettings } from "./serve_settings.ts";

export { parseServeSettings, type ServeSettings };

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
                       (default 5m; a bare number is seconds)
  --max-body-bytes N   larger bodies get 413, also without Content-Length (default 1048576)
  --read-timeout DUR   the whole request body must arrive within this long (default 10s),
                       however its bytes are paced, or the answer is 408
  --data-dir DIR       where the embedded store lives (default .hookgate, created if missing;
                       serve writes only under .hookgate, so DIR is .hookgate/…)
  --store SPEC         sqlite:PATH (default sqlite:DIR/hookgate.db, or DIR/hookgate.kv where
                       an earlier hookgate made one), kv:PATH (Deno KV) or
                       redis://[user@]HOST:PORT[/DB][?prefix=…&visibility_timeout=…]
                       (also HOOKGATE_STORE; the password from REDIS_PASSWORD)
  --route SPEC         PATH=SCHEME:SECRET_VAR, repeatable (also HOOKGATE_ROUTES);
                       the routes given replace the default /webhook=hookgate:WEBHOOK_SECRET
                       (list it too to keep it); SCHEME: hookgate, standard, github, stripe
  --pull               receive only: hand nothing off, so events wait in the store
                       for pull consumers such as 'hookgate mcp' (not with --exec)
  --shutdown-grace DUR on SIGTERM/SIGINT, how long running hand-offs and requests may
                       finish before serve exits anyway (default 10s)
${EXEC_HELP}
${SERVE_LOG_HELP}
${TRACE_HELP}
  -h, --help           show this help

Routes: POST /webhook (or each --route instead), GET /healthz; with HOOKGATE_TOKEN_SECRET
set also the inspection API (bearer token from 'hookgate token'):
GET /events?status=pending|done|dead&limit=N (default pending, 50), GET /events/{route}/{key},
GET /events/stream (live changes as Server-Sent Events) (read),
POST /events/{route}/{key}/redeliver (write); and the events page at GET /ui
(open it with the link 'hookgate ui' prints).
Environment: each route's secret variable (WEBHOOK_SECRET for the default route, at
least 16 bytes; <VAR>_PREVIOUS for rotated-out secrets), HOOKGATE_TOKEN_SECRET.
SIGINT/SIGTERM: new requests get 503, no new hand-off starts, running ones may finish
within --shutdown-grace (then the agent is killed and its event stays pending for the
next start), exit 0 by the end of the grace. A second signal exits at once (exit 1).

Examples:
  hookgate serve
  hookgate serve --exec ./agent.sh --route /github=github:GITHUB_WEBHOOK_SECRET
  hookgate serve --exec ./agent.sh --shutdown-grace 20s
  hookgate serve --pull          # events wait for pull consumers (hookgate mcp)

Exit codes: 0 stopped by SIGINT/SIGTERM · 1 a second signal during shutdown, or stdout
closed while printing events · 64 usage · 69 port taken or store unreachable · 77 permission
denied · 78 a secret missing or weak, a bad route.`;

/** Why an event printed to a closed stdout is not done. */
export const STDOUT_CLOSED = "stdout is closed: nothing reads the events serve prints";

/**
 * The act step without `--exec`: a `verified` line per event, as one JSON line. A line that
 * could not be written (the reader of stdout went away) leaves its event not done, and
 * `onClosed` is told, so serve stops instead of marking every later event done unread.
 */
export function printVerified(
  lines: LineBatcher,
  onClosed: () => void = () => {},
): (event: StoredEvent) => Promise<HandlerOutcome> {
  const decoder = new TextDecoder();
  return async (event) => {
    // Done once its line is written: a reader that falls behind holds the event, not serve.
    // DEL, C1 and bidirectional controls of the payload (anyone may write a field, such as an
    // issue title) go out as JSON escapes: stdout is often a terminal.
    const written = await lines.write(jsonLine({
      event: "verified",
      id: event.id,
      payload: JSON.parse(decoder.decode(event.payload)),
    }));
    if (written) return { ok: true };
    onClosed();
    return { ok: false, error: STDOUT_CLOSED };
  };
}

/**
 * Events printed at once without --exec: their lines go out together, in the order their
 * hand-offs started, while a slow reader of stdout holds up only these.
 */
const PRINT_CONCURRENCY = 64;

async function run(context: CommandContext): Promise<ExitCode> {
  const settings = parseServeSettings(context);
  // Serve runs a program only for --exec: without it, the run permission goes before any request.
  await narrowToTask("serve", settings.exec === null ? { drop: ["run"] } : {});
  // Secrets under names the redactor cannot guess (a route's MY_HOOK, a Redis URL's password),
  // beside those whose names say so: one list for serve's output and for the agent's.
  const redis = parseRedisUrl(settings.storeSpec, { password: context.env.REDIS_PASSWORD });
  const serveSecrets = [
    ...secretValuesFromEnv(context.env),
    ...routeSecretValues(context.env, settings.routeSpecs),
    ...(redis.ok ? redisSecretValues(redis.value, settings.storeSpec) : []),
  ];
  context.output.protect(serveSecrets);
  const routes = buildRoutes(context.env, {
    toleranceSeconds: settings.toleranceSeconds,
    routeSpecs: settings.routeSpecs,
    nowMs: Date.now(),
  });
  if (!routes.ok) throw configError(routeProblem(routes.reason, context.env, settings.routeSpecs));
  // The checked settings with what the start-up checks found (the program's path, user, cwd).
  const exec = await prepareExec(settings.exec, settings.dataDir, context);
  const tokenKey = context.env[TOKEN_SECRET_VAR] === undefined
    ? null
    : tokenKeyFromEnv(context.env, { routeSpecs: settings.routeSpecs });
  if (tokenKey !== null && !tokenKey.ok) throw configError(tokenKey.reason);
  // Opened before the store: a trace path that cannot be written is exit 78 with nothing opened.
  // Refusals are summarised: a flood of junk cannot rotate accepted events out of the trace.
  const trace = summarizeRefusals(
    await openTraceFromFlags(settings.trace, {
      cwd: context.cwd,
      redactor: context.output.redactor,
      onError: (error) => context.output.err(`hookgate: trace write failed: ${error}`),
    }),
  );
  let store: EventStore;
  try {
    store = await openChosenStore(settings, context, { create: true });
  } catch (error) {
    await trace.close();
    throw error;
  }
  let revocations: TokenRevocations | null = null;
  // The log never holds up requests: a slow reader of stderr makes its writes wait instead.
  const logLines = batchLines(outputSink(context.output, "err"), {
    droppedLine: (n) => `hookgate: ${n} log lines dropped: stderr was not keeping up`,
  });
  // Verified events without --exec; never dropped (a line is an event handed off), and at most
  // PRINT_CONCURRENCY of them wait for the reader at once.
  const printed = batchLines(outputSink(context.output, "out"), {
    delayMs: 0,
    maxHeldLines: Infinity,
  });
  const log = createServeLog({
    ...settings.log,
    color: useColor(context.env, Deno.stderr.isTerminal()),
    write: logLines.write,
    now: Date.now,
    routePaths: routes.value.map((route) => route.path),
    storeFlags: storeFlags(settings, context.cwd),
  });
  const close = async () => {
    log.close();
    await Promise.all([logLines.drain(), printed.drain()]);
    await trace.close();
    revocations?.close();
    await store.close();
  };
  // Registered before listening: a SIGTERM right after the listening line is still graceful.
  const exitNow = (code: ExitCode): never => {
    logLines.flush();
    try {
      printed.flush();
    } catch {
      // stdout is closed: its events were not marked done, they wait in the store.
    }
    Deno.exit(code);
  };
  const stop = listenForStop(context.output, exitNow);
  // A stray rejection is reported through the redactor, never as a runtime stack trace.
  const onRejection = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    context.output.err(`hookgate: internal error: ${errorMessage(event.reason)}`);
  };
  globalThis.addEventListener("unhandledrejection", onRejection);
  try {
    const webhooks = createWebhookHandler({
      routes: routes.value,
      store,
      maxBodyBytes: settings.maxBodyBytes,
      readTimeoutMs: settings.readTimeoutMs,
      now: Date.now,
      onRecord: (record) => {
        trace.write(record);
        log.request(record);
      },
      onStoreFailed: (message) =>
        context.output.err(`hookgate: ${message}; /healthz answers 503 until then`),
      onStoreError: storeErrorReporter((line) => context.output.err(line)),
    });
    // The inspection API (and the events page that reads it) is on only when its token key is configured.
    const known = tokenKey === null
      ? null
      : withSharedRevocations(await openTokenRevocations(settings.dataDir), store.revocations);
    revocations = known;
    const refs = new EventRefs();
    const live = known === null ? null : createEventsStream({
      store,
      redactor: context.output.redactor,
      refs,
      now: Date.now,
      isRevoked: (id) => known.isRevoked(id),
    });
    const api = tokenKey === null || known === null || live === null ? null : createEventsApi({
      store,
      tokenKey: tokenKey.value,
      revocations: known,
      redactor: context.output.redactor,
      refs,
      now: Date.now,
      onRecord: (record) => {
        trace.write(record);
        log.api(record);
      },
      stream: (request, token) => live.open(request, token),
    });
    // Not an async function itself: without the API, a request takes no frame of its own here.
    const requests = drainable((request, info) => {
      // From the request line; null (answered 400) for a Host that could move the path.
      const path = requestPath(request);
      const remoteAddress = info.remoteAddr.hostname;
      if (api === null || path === null) return webhooks(request, remoteAddress, path);
      return (async () =>
        eventsPageResponse(request, path) ?? (await api(request, path)) ??
          await webhooks(request, remoteAddress, path))();
    });
    const maxAttempts = exec?.maxAttempts ?? 5;
    const watch = watchHandoffs((event, handlerContext) => act(event, handlerContext), {
      maxAttempts,
      retryDelayMs: execRetryDelayMs,
      report: (report) => log.handoff(report),
      stopped: (who) =>
        context.output.err(
          `hookgate: the shutdown stopped the agent on ${printable(who)}: it stays pending ` +
            "and is handed off again at the next start",
        ),
      now: Date.now,
    });
    // Without --exec, a reader of stdout that went away stops serve: the events wait for the next.
    const stdoutClosed = Promise.withResolvers<void>();
    let stdoutGone = false;
    const onStdoutClosed = () => {
      if (stdoutGone) return;
      stdoutGone = true;
      context.output.err(
        `hookgate: ${STDOUT_CLOSED}; stopping. The events not printed stay pending in the ` +
          "store ('hookgate events ls --status pending') and are printed at the next start",
      );
      stdoutClosed.resolve();
    };
    const act = exec === null ? printVerified(printed, onStdoutClosed) : createExecHandler({
      command: exec.command,
      cwd: exec.cwd,
      launch: exec.launch,
      env: context.env,
      envAllowlist: exec.envAllowlist,
      timeoutMs: exec.timeoutMs,
      secrets: serveSecrets,
      onOutput: (report) => {
        trace.write({ type: "exec", ...report });
        watch.noteExec(report);
      },
      warn: (line) => context.output.err(`hookgate: ${line}`),
    });
    if (!isLoopbackHost(settings.hostname)) {
      context.output.err(
        `hookgate: ${settings.hostname} is reachable from other machines, and Deno's HTTP ` +
          `server has no header-read or idle timeout: put a reverse proxy with header, body ` +
          `and idle timeouts in front (see docs/deploy.md, "Slow and idle clients")`,
      );
    }
    const server = listen(
      settings,
      requests.handle,
      (addr) => context.output.err(listeningLine(addr, routes.value, { api: api !== null })),
      internalErrorReporter((line) => context.output.err(line)),
    );
    // --pull: events wait in the store for pull consumers (hookgate mcp).
    const consumer = settings.pull ? null : new AbortController();
    // Without --exec the act step prints the event itself: there is no hand-off to report.
    const consuming = consumer === null
      ? null
      : store.consume(exec === null ? act : watch.handler, {
        signal: consumer.signal,
        maxAttempts,
        retryDelayMs: exec === null ? execRetryDelayMs : watch.retryDelayMs,
        concurrency: exec?.concurrency ?? PRINT_CONCURRENCY,
        graceMs: settings.shutdownGraceMs - closingReserveMs(settings.shutdownGraceMs),
      });
    await Promise.race([
      stop.stopRequested,
      stdoutClosed.promise,
      ...(consuming === null ? [] : [consuming]),
    ]);
    // Live views end first: an open stream would otherwise hold the server's shutdown up.
    live?.close();
    const code = await shutDown({
      graceMs: settings.shutdownGraceMs,
      output: context.output,
      requests,
      server,
      consumer,
      handoffsRunning: () => exec === null ? [] : watch.running(),
      consuming,
      close,
      exit: exitNow,
    });
    return stdoutGone ? ExitCode.failed : code;
  } catch (error) {
    await close();
    throw error;
  } finally {
    stop.remove();
    globalThis.removeEventListener("unhandledrejection", onRejection);
  }
}

export const serveCommand: Command = { help: HELP, run };

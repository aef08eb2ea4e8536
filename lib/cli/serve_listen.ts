/**
 * Binding serve's port and announcing it: the listening line names every route with its
 * scheme and secret variable, so a sender's 404 or 401 can be checked against it.
 */
import { classifyIpAddress } from "../egress/mod.ts";
import { ConnectionDropped, type Route } from "../receive/mod.ts";
import { errorMessage, windowedTally } from "../util/mod.ts";
import { CliError } from "./cli_error.ts";
import { printable } from "./printable.ts";
import { ExitCode } from "./exit_codes.ts";

/** `http://127.0.0.1:8000/`, with an IPv6 address in brackets. */
export function listenUrl(addr: Deno.NetAddr): string {
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return `http://${host}:${addr.port}/`;
}

/**
 * serve's start-up line: where it listens and what each route expects, so a
 * sender's 404 or 401 can be checked against it at a glance.
 */
export function listeningLine(
  addr: Deno.NetAddr,
  routes: readonly Pick<Route, "path" | "scheme" | "secretVar">[],
  options: { api: boolean },
): string {
  const listed = routes.map((route) =>
    `POST ${route.path} (${route.scheme.name}, ${route.secretVar})`
  );
  if (options.api) listed.push("GET /events (bearer token)");
  return `hookgate: listening on ${listenUrl(addr)} routes: ${listed.join(", ")}`;
}

const INTERNAL_ERROR_BODY = JSON.stringify({ error: "internal error" });
/** Errors of one kind told one by one per window; the rest of the window's are counted. */
const ERRORS_TOLD = 3;
const ERROR_WINDOW_MS = 10_000;

/**
 * A log of one kind of error that serve answers for itself (a 500, a 503): the error, for the
 * first few of each window, then how many more there were, so a flood cannot flood the log.
 * Each message goes through `printable()` and the caller's (redacting) sink.
 */
function windowedErrorLog(
  say: (line: string) => void,
  now: () => number,
  words: { status: string; told: (message: string) => string; more: (count: number) => string },
): (message: string) => void {
  const tally = windowedTally<string>({
    windowMs: ERROR_WINDOW_MS,
    passPerWindow: ERRORS_TOLD,
    now,
    report: (entries, other) => {
      let more = other;
      for (const entry of entries.values()) more += entry.count;
      say(`hookgate: ${words.more(more)} in ${ERROR_WINDOW_MS / 1000} s`);
    },
  });
  return (message) => {
    if (tally.passOrCount(words.status, message)) {
      say(`hookgate: ${words.told(printable(message))}`);
    }
  };
}

/**
 * What serve says about a request that failed inside hookgate (a 500). The answer says only
 * "internal error"; the log says what.
 */
export function internalErrorReporter(
  say: (line: string) => void,
  now: () => number = Date.now,
): (error: unknown) => void {
  const log = windowedErrorLog(say, now, {
    status: "500",
    told: (message) => `internal error answering a request (500): ${message}`,
    more: (count) => `${count} more internal errors (500)`,
  });
  return (error) => {
    // A 413's answer ends its connection this way on purpose.
    if (!(error instanceof ConnectionDropped)) log(errorMessage(error));
  };
}

/**
 * What serve says about an accept the store refused (the sender got 503 and retries): the
 * store's own error, which says what to mend (a full disk, a lock another process holds,
 * Redis unreachable).
 */
export function storeErrorReporter(
  say: (line: string) => void,
  now: () => number = Date.now,
): (error: unknown) => void {
  const log = windowedErrorLog(say, now, {
    status: "503",
    told: (message) => `the store refused an accept (503, the sender retries): ${message}`,
    more: (count) => `${count} more accepts refused by the store (503)`,
  });
  return (error) => log(errorMessage(error));
}

/** Binds the port; a taken port or a foreign address is exit 69 with a message, not a stack. */
export function listen(
  settings: { port: number; hostname: string },
  handler: Deno.ServeHandler<Deno.NetAddr>,
  onListen: (addr: Deno.NetAddr) => void,
  onInternalError: (error: unknown) => void = () => {},
): Deno.HttpServer<Deno.NetAddr> {
  try {
    return Deno.serve({
      port: settings.port,
      hostname: settings.hostname,
      onListen,
      onError: (error) => {
        onInternalError(error);
        return new Response(INTERNAL_ERROR_BODY, {
          status: 500,
          headers: { "content-type": "application/json" },
        });
      },
    }, handler);
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new CliError(
        ExitCode.unavailable,
        `${settings.hostname}:${settings.port} is already in use: stop the other server ` +
          `or pick another --port`,
      );
    }
    if (error instanceof Deno.errors.AddrNotAvailable) {
      throw new CliError(
        ExitCode.unavailable,
        `cannot bind ${settings.hostname}: not an address of this machine (see --hostname)`,
      );
    }
    throw error;
  }
}

/** Whether a --hostname only ever accepts connections from this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.startsWith("[") && hostname.endsWith("]")
    ? hostname.slice(1, -1)
    : hostname;
  return bare.toLowerCase() === "localhost" || classifyIpAddress(bare).category === "loopback";
}

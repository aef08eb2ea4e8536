/**
 * `hookgate ui`: prints a link to serve's events page carrying a freshly minted token; the
 * page itself is lib/ui/.
 */
import { usageError } from "./cli_error.ts";
import { ExitCode } from "./exit_codes.ts";
import { plainHttpWarning } from "./plain_http.ts";
import { eventsPageUrl } from "../ui/mod.ts";
import { noPositionals, parseCommandArgs, valueFlags } from "./args.ts";
import type { Command, CommandContext } from "./command.ts";
import { mintToken, parseScope, parseTtlMs, writeStdout } from "./token.ts";

const HELP = `hookgate ui — print a link that opens serve's events page, logged in

Usage: hookgate ui [--scope read|write] [--ttl 15m] [--hostname HOST] [--port N | --url URL]

Prints a link to http://HOST:PORT/ui on stdout that carries a fresh short-lived
token (as 'hookgate token' makes) in its #fragment, which a browser never sends
to the server: the token appears in no request line and no log.
The page keeps it for the browser tab only (session storage) and removes it
from the address bar. The token id, expiry and revoke command go to stderr.

The page lists events (filters by status and route, a text search), shows an
event's payload and attempts, and follows changes live. 'serve' shows it at
/ui when HOOKGATE_TOKEN_SECRET is set. A read token sees everything; only a
write token can redeliver a done or dead event.

Options:
  --scope read|write   what the page may do (default read; write adds redeliver)
  --ttl DURATION       the token's lifetime, e.g. 30m, 2h (default 15m, at most 24h);
                       the page logs out when it ends
  --hostname HOST      serve's address in the link (default 127.0.0.1)
  --port N             serve's port in the link (default 8000)
  --url URL            serve's address as the browser reaches it, instead of
                       --hostname/--port (e.g. https://hooks.example.com behind a proxy)
  -h, --help           show this help

Environment: HOOKGATE_TOKEN_SECRET (the same value serve has).

Example:
  hookgate ui --scope write --ttl 1h
  # open the printed link; or paste a token from 'hookgate token' into the page

Exit codes: 0 link printed · 64 usage · 78 HOOKGATE_TOKEN_SECRET missing or weak`;

const FLAGS = valueFlags("scope", "ttl", "hostname", "port", "url");

function run(context: CommandContext): ExitCode {
  const { values, positionals } = parseCommandArgs("ui", context.args, FLAGS);
  noPositionals("ui", positionals);
  const scope = parseScope(values.scope ?? "read");
  const ttlMs = parseTtlMs(values.ttl);
  const baseUrl = parseBaseUrl(values);
  const { token, tokenId, expiresAtMs } = mintToken(context.env, {
    scope,
    ttlMs,
    nowMs: Date.now(),
  });
  // The link carries the token: stdout as is (the redactor would hide it).
  writeStdout(eventsPageUrl(baseUrl, token));
  context.output.err(
    `hookgate: open the link above in a browser (serve must be running with ` +
      `HOOKGATE_TOKEN_SECRET); ${scope} token ${tokenId} valid until ` +
      `${new Date(expiresAtMs).toISOString()}; revoke it with: hookgate token --revoke ${tokenId}`,
  );
  const warning = plainHttpWarning(
    new URL(baseUrl),
    "anyone on the path can read the page's token, use it until it expires, and read the events",
  );
  if (warning !== null) context.output.err(warning);
  return ExitCode.ok;
}

/** serve's origin as the browser reaches it, without a trailing slash. */
function parseBaseUrl(values: { hostname?: string; port?: string; url?: string }): string {
  if (values.url !== undefined) {
    if (values.hostname !== undefined || values.port !== undefined) {
      throw usageError("--url replaces --hostname and --port: give one or the other");
    }
    let url: URL;
    try {
      url = new URL(values.url);
    } catch {
      throw usageError(`--url must be an address such as https://hooks.example.com`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw usageError("--url must start with http:// or https://");
    }
    if (
      url.username !== "" || url.password !== "" || url.pathname !== "/" || url.search !== "" ||
      url.hash !== ""
    ) {
      throw usageError(
        "--url takes only serve's origin (scheme, host, port): the page lives at /ui of it",
      );
    }
    return url.origin;
  }
  const rawPort = values.port ?? "8000";
  if (!/^[0-9]{1,5}$/.test(rawPort) || Number(rawPort) < 1 || Number(rawPort) > 65535) {
    throw usageError(`--port must be a port number from 1 to 65535, got '${rawPort}'`);
  }
  const hostname = values.hostname ?? "127.0.0.1";
  if (!/^[A-Za-z0-9.:-]+$/.test(hostname)) {
    throw usageError(`--hostname must be a host name or an IP address, got '${hostname}'`);
  }
  // serve may listen on every address; a browser needs one it can reach.
  const reachable = hostname === "0.0.0.0" || hostname === "::" ? "127.0.0.1" : hostname;
  const host = reachable.includes(":") ? `[${reachable}]` : reachable;
  return `http://${host}:${Number(rawPort)}`;
}

export const uiCommand: Command = { help: HELP, run };

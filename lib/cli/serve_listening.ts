import type { Route } from "../receive/mod.ts";

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

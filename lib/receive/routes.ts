/**
 * Routes from `--route` / HOOKGATE_ROUTES specs (`PATH=SCHEME:SECRET_VAR`): each with its
 * scheme, its keys (current and unexpired previous secrets) and its claim retention. Every
 * problem is found at start-up, before serve listens.
 */
import { ROUTES_VAR, SECRET_VAR } from "../setup/mod.ts";
import { fail, importHmacKey, ok, type Result, toHex } from "../util/mod.ts";
import type { Route, RouteKey } from "./route.ts";
import { type Scheme, schemeByName, SCHEMES } from "../schemes/mod.ts";
import { previousVarName, routeSecrets } from "./secret_rotation.ts";

export interface RouteOptions {
  toleranceSeconds: number;
  /** `PATH=SCHEME:SECRET_VAR` specs from `--route`; empty = HOOKGATE_ROUTES, else the default route. */
  routeSpecs: string[];
  /** Now, for expiring previous secrets. */
  nowMs: number;
}

export { ROUTES_VAR };
export const DEFAULT_ROUTE_SPEC = `/webhook=hookgate:${SECRET_VAR}`;
/** GitHub lets a user redeliver a delivery (same id) for 3 days; keys outlive that with margin. */
export const UNTIMESTAMPED_RETENTION_MS = 7 * 24 * 3_600_000;

export interface RouteSpec {
  path: string;
  /** Replay namespace and trace name, from the path: `/hooks/github` → `hooks-github`. */
  name: string;
  scheme: Scheme;
  secretVar: string;
}

const SPEC = /^(\/[A-Za-z0-9._~\/-]*)=([a-z0-9_-]+):([A-Za-z_][A-Za-z0-9_]*)$/;

function routeName(path: string): string {
  return path === "/" ? "root" : path.slice(1).replaceAll("/", "-");
}

/**
 * The paths serve answers itself, before any route: the inspection API answers every request
 * under /events (401 without a bearer token), and /healthz is the health check.
 */
function isServePath(path: string): boolean {
  return path === "/healthz" || path === "/events" || path.startsWith("/events/");
}

/** Parses one `PATH=SCHEME:SECRET_VAR`; `source` (`--route` or HOOKGATE_ROUTES) goes in the message. */
export function parseRouteSpec(spec: string, options: { source: string }): Result<RouteSpec> {
  const usage = `${options.source} '${spec}' must be PATH=SCHEME:SECRET_VAR, ` +
    `e.g. /github=github:GITHUB_WEBHOOK_SECRET`;
  const match = SPEC.exec(spec.trim());
  if (!match) return fail(usage);
  const [, path, schemeName, secretVar] = match as unknown as [string, string, string, string];
  if (/\/\/|\/\.\.?(?:\/|$)/.test(path) || (path.length > 1 && path.endsWith("/"))) {
    return fail(`${usage}; the path must not hold '//', '.' or '..' segments or end in '/'`);
  }
  if (isServePath(path)) {
    return fail(
      `${options.source} '${spec}': ${path} is one of serve's own paths (the inspection API ` +
        `answers /events and every path under it, the health check /healthz): give the route ` +
        `another path`,
    );
  }
  const scheme = schemeByName(schemeName);
  if (!scheme) {
    return fail(
      `${options.source}: unknown scheme '${schemeName}' (in '${spec}'); use one of ` +
        Object.keys(SCHEMES).join(", "),
    );
  }
  return ok({ path, name: routeName(path), scheme, secretVar });
}

/** Whether HOOKGATE_ROUTES names routes of the user's own (else the default route serves). */
export function hasRoutesVar(env: Record<string, string>): boolean {
  return (env[ROUTES_VAR] ?? "").trim() !== "";
}

/** The freshness window when `--tolerance` is not given. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The specs in force: `--route` flags, else HOOKGATE_ROUTES, else the single default route `/webhook=hookgate:WEBHOOK_SECRET`. */
export function parseRouteSpecs(
  env: Record<string, string>,
  routeSpecs: string[],
): Result<RouteSpec[]> {
  const fromEnv = hasRoutesVar(env);
  const source = routeSpecs.length > 0 ? "--route" : fromEnv ? ROUTES_VAR : "default route";
  const raw = routeSpecs.length > 0
    ? routeSpecs
    : fromEnv
    ? (env[ROUTES_VAR] as string).split(",")
    : [DEFAULT_ROUTE_SPEC];
  const specs: RouteSpec[] = [];
  for (const text of raw) {
    const spec = parseRouteSpec(text, { source });
    if (!spec.ok) return spec;
    const clash = specs.find((s) => s.path === spec.value.path || s.name === spec.value.name);
    if (clash?.path === spec.value.path) {
      return fail(`${source}: '${clash.path}' is given twice: give each route its own path`);
    }
    if (clash) {
      return fail(
        `${source}: '${spec.value.path}' and '${clash.path}' are the same route ` +
          `(replay namespace '${clash.name}'): give each route its own path`,
      );
    }
    specs.push(spec.value);
  }
  return ok(specs);
}

/** Where a route's active key came from, for the start-up error that names a shared one. */
interface KeyOrigin {
  path: string;
  from: string;
}

function routeKeys(
  spec: RouteSpec,
  env: Record<string, string>,
  nowMs: number,
  seen: Map<string, KeyOrigin>,
): Result<RouteKey[]> {
  const secrets = routeSecrets(env, spec.secretVar);
  if (!secrets.ok) return secrets;
  const entries = [
    { secret: secrets.value.current, expiresAtMs: null, from: spec.secretVar },
    ...secrets.value.previous.filter((p) => nowMs < p.expiresAtMs)
      .map((p) => ({ ...p, from: previousVarName(spec.secretVar) })),
  ];
  const keys: RouteKey[] = [];
  for (const entry of entries) {
    const bytes = spec.scheme.secretBytes(entry.secret);
    if (!bytes.ok) {
      return fail(`route ${spec.path} (${spec.scheme.name}): ${entry.from} ${bytes.reason}`);
    }
    const shared = sharedKey(seen, bytes.value, { path: spec.path, from: entry.from });
    if (shared !== null) return fail(shared);
    keys.push({ key: importHmacKey(bytes.value), expiresAtMs: entry.expiresAtMs });
  }
  return ok(keys);
}

/**
 * The refusal when another route already verifies with these key bytes, else null (and the
 * bytes are recorded). The signature covers neither the path nor the route, and hookgate and
 * Stripe even sign the same text, so with one key on two routes a delivery captured on its
 * way to one would be accepted once more on the other: each route has its own replay
 * namespace. The message names the variables, never the secret.
 */
function sharedKey(
  seen: Map<string, KeyOrigin>,
  bytes: Uint8Array,
  origin: KeyOrigin,
): string | null {
  const id = toHex(bytes);
  const first = seen.get(id);
  if (first === undefined) {
    seen.set(id, origin);
    return null;
  }
  if (first.path === origin.path) return null;
  const vars = first.from === origin.from ? first.from : `${first.from}, ${origin.from}`;
  return `routes ${first.path} and ${origin.path} share a secret (${vars}): a delivery signed ` +
    `for one would verify on the other and reach the agent once per route; give each route ` +
    `its own secret ('hookgate init --route PATH=SCHEME:VAR' writes one)`;
}

/**
 * Builds the routes `serve` listens on, each with its own scheme, keys
 * (current + previous with expiries), tolerance and replay namespace. Any bad
 * spec or secret fails here, at start-up, naming the variable and the fix.
 */
export function buildRoutes(
  env: Record<string, string>,
  options: RouteOptions,
): Result<Route[]> {
  const specs = parseRouteSpecs(env, options.routeSpecs);
  if (!specs.ok) return specs;
  const routes: Route[] = [];
  const seen = new Map<string, KeyOrigin>();
  for (const spec of specs.value) {
    const keys = routeKeys(spec, env, options.nowMs, seen);
    if (!keys.ok) return keys;
    routes.push({
      path: spec.path,
      name: spec.name,
      scheme: spec.scheme,
      secretVar: spec.secretVar,
      keys: keys.value,
      toleranceSeconds: options.toleranceSeconds,
      retentionMs: spec.scheme.timestamped
        ? 2 * options.toleranceSeconds * 1000
        : Math.max(UNTIMESTAMPED_RETENTION_MS, 2 * options.toleranceSeconds * 1000),
    });
  }
  return ok(routes);
}

/** The variable a spec names after its scheme, read as loosely as possible (`…:NAME`). */
const SPEC_SECRET_VAR = /:\s*([A-Za-z_][A-Za-z0-9_]*)\s*$/;

/**
 * Every secret string the routes name (current and previous), for the redactor: a route may
 * name a variable that does not look secret (`--route /hook=github:MY_HOOK`), so its value is
 * not found by name. Read without judging the set-up: a bad spec elsewhere in the list, a weak
 * secret or a malformed `_PREVIOUS` entry (which serve refuses, but other commands run with)
 * must not hide a secret from the redactor. Both `--route` specs and HOOKGATE_ROUTES count
 * (the default route when there are neither).
 */
export function routeSecretValues(env: Record<string, string>, routeSpecs: string[]): string[] {
  const fromEnv = hasRoutesVar(env) ? (env[ROUTES_VAR] as string).split(",") : [];
  const given = [...routeSpecs, ...fromEnv];
  const specs = given.length > 0 ? given : [DEFAULT_ROUTE_SPEC];
  const names = new Set(specs.flatMap((spec) => SPEC_SECRET_VAR.exec(spec)?.[1] ?? []));
  return [...names].flatMap((name) => {
    const previous = (env[previousVarName(name)] ?? "").split(",").map((entry) => {
      const at = entry.lastIndexOf("@");
      return (at === -1 ? entry : entry.slice(0, at)).trim();
    });
    return [env[name] ?? "", ...previous].filter((value) => value.trim() !== "");
  });
}

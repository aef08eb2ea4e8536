/**
 * What a receiving endpoint is once built: its path, scheme, verification keys, freshness
 * window and claim retention (built by routes.ts).
 */
import type { Scheme } from "../schemes/mod.ts";
import type { HmacKey } from "../util/mod.ts";

/** One verification key; previous (rotated-out) secrets carry an expiry. */
export interface RouteKey {
  key: HmacKey;
  /** null for the current secret; a previous secret stops verifying at this instant. */
  expiresAtMs: number | null;
}

/** A receiving endpoint: its path, wire format, secrets, freshness window and replay namespace. */
export interface Route {
  /** URL path, e.g. "/webhook". */
  path: string;
  /** Replay namespace and trace name, e.g. "webhook". */
  name: string;
  scheme: Scheme;
  /** The variable the secret came from (named in errors, never its value). */
  secretVar: string;
  /** Current key first, then previous ones. */
  keys: RouteKey[];
  toleranceSeconds: number;
  /** How long an event key is kept: at least 2 x tolerance, longer where a provider redelivers. */
  retentionMs: number;
}

/** Routes whose keys never expire, with those keys (built once, never per request). */
const unexpiring = new WeakMap<readonly RouteKey[], readonly HmacKey[]>();

/**
 * The keys that may verify a delivery at `nowMs` (current, and previous ones not yet
 * expired). Shared between requests when no key of the route expires: never to be changed.
 */
export function activeKeys(route: Route, nowMs: number): readonly HmacKey[] {
  const fixed = unexpiring.get(route.keys);
  if (fixed !== undefined) return fixed;
  if (route.keys.every((k) => k.expiresAtMs === null)) {
    const all = Object.freeze(route.keys.map((k) => k.key));
    unexpiring.set(route.keys, all);
    return all;
  }
  return route.keys.filter((k) => k.expiresAtMs === null || nowMs < k.expiresAtMs).map((k) =>
    k.key
  );
}

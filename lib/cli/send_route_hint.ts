/**
 * `send` to a route of this directory's `serve` with the wrong format or secret
 * is the first thing a user trips on after adding a provider route: the answer
 * is a bare 401. When the URL's path is a route in HOOKGATE_ROUTES (the same
 * .env serve reads) that is signed differently, this names the flags that match.
 */
import { hasRoutesVar, parseRouteSpecs } from "../receive/mod.ts";

export function routeMismatchHint(
  env: Record<string, string>,
  url: URL,
  used: { scheme: string; secretVar: string },
): string | null {
  // Only routes the user wrote: with none, serve's default route is no evidence of intent.
  if (!hasRoutesVar(env)) return null;
  const specs = parseRouteSpecs(env, []);
  if (!specs.ok) return null;
  const route = specs.value.find((spec) => spec.path === url.pathname);
  if (route === undefined) return null;
  if (route.scheme.name === used.scheme && route.secretVar === used.secretVar) return null;
  return `the route ${route.path} in .env is ${route.scheme.name} with ${route.secretVar}: ` +
    `send with --scheme ${route.scheme.name} --secret-var ${route.secretVar}`;
}

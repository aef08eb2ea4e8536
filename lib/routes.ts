import { readSecret, SECRET_VAR } from "./config.ts";
import { importHmacKey } from "./hmac.ts";
import { fail, ok, type Result } from "./result.ts";
import type { Route } from "./route.ts";
import { hookgateScheme } from "./scheme_hookgate.ts";

export interface RouteOptions {
  toleranceSeconds: number;
  /** `PATH=SCHEME:SECRET_VAR` specs from `--route` (and HOOKGATE_ROUTES); empty = the default route. */
  routeSpecs: string[];
  /** Now, for expiring previous secrets. */
  nowMs: number;
}

/**
 * Builds the routes `serve` listens on. PROVISIONAL: only the brief's default
 * route `/webhook=hookgate:WEBHOOK_SECRET`; route specs and rotation come with
 * the schemes issue and keep this signature.
 */
export async function buildRoutes(
  env: Record<string, string>,
  options: RouteOptions,
): Promise<Result<Route[]>> {
  const secret = readSecret(env, SECRET_VAR);
  if (!secret.ok) return secret;
  const bytes = hookgateScheme.secretBytes(secret.value);
  if (!bytes.ok) return fail(`${SECRET_VAR}: ${bytes.reason}`);
  return ok([{
    path: "/webhook",
    name: "webhook",
    scheme: hookgateScheme,
    secretVar: SECRET_VAR,
    keys: [{ key: await importHmacKey(bytes.value), expiresAtMs: null }],
    toleranceSeconds: options.toleranceSeconds,
    retentionMs: 2 * options.toleranceSeconds * 1000,
  }]);
}

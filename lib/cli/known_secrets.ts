/**
 * Every secret value the environment holds, for a command's redactor: those whose names say
 * so, and the secret of each route HOOKGATE_ROUTES names, whatever its variable is called
 * (`/github=github:GH_HOOK`), so every command, not only serve, keeps a route's secret out of
 * what it prints.
 */
import { secretValuesFromEnv } from "../redact/mod.ts";
import { ROUTES_VAR } from "../setup/mod.ts";

export async function knownSecrets(env: Record<string, string>): Promise<string[]> {
  const secrets = secretValuesFromEnv(env);
  if ((env[ROUTES_VAR] ?? "").trim() === "") return secrets;
  // Loaded only when routes are configured: most commands never need the route parser.
  const { routeSecretValues } = await import("../receive/mod.ts");
  return [...secrets, ...routeSecretValues(env, [])];
}

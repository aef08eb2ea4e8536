/**
 * Per provider: the secret format a route's scheme expects, who makes the
 * secret, and the one next step that provider needs. `init --route`,
 * `rotate` and serve's "secret missing" error all read it, so they agree.
 */
import { toBase64, toHex } from "../util/mod.ts";
import { parseRouteSpecs } from "../receive/mod.ts";
import { randomSecret, SECRET_VAR } from "../setup/mod.ts";

export interface ProviderSetup {
  scheme: string;
  /** A fresh secret in the provider's format, or null when the provider makes it (Stripe). */
  newSecret(): string | null;
  /** What the format is, for messages: "base64url", "whsec_ + base64" … */
  format: string;
  /** The next step once `varName` holds the secret, for this provider only. */
  nextStep(varName: string, path: string): string;
  /** How to obtain the secret when it is missing. */
  howToCreate(varName: string, path: string): string;
}

const BYTES = 32;

const random = (count: number) => crypto.getRandomValues(new Uint8Array(count));

const SETUPS: Record<string, ProviderSetup> = {
  hookgate: {
    scheme: "hookgate",
    newSecret: () => randomSecret({ bytes: BYTES }),
    format: "base64url",
    nextStep: (varName) =>
      `give ${varName}'s value (in .env) to your sender; 'hookgate send' signs with it`,
    // The default route's secret is what plain `hookgate init` makes (without writing a route).
    howToCreate: (varName, path) =>
      varName === SECRET_VAR
        ? "run 'hookgate init' in this directory"
        : `run 'hookgate init --route ${path}=hookgate:${varName}'`,
  },
  github: {
    scheme: "github",
    newSecret: () => toHex(random(BYTES)),
    format: "random hex string",
    nextStep: (varName, path) =>
      `in GitHub, open the repository's Settings → Webhooks → Add webhook (or Edit), set ` +
      `Payload URL to https://<your host>${path} and Content type to application/json, and ` +
      `paste the value of ${varName} from .env into the Secret field`,
    howToCreate: (varName, path) => `run 'hookgate init --route ${path}=github:${varName}'`,
  },
  standard: {
    scheme: "standard",
    newSecret: () => `whsec_${toBase64(random(BYTES))}`,
    format: "whsec_ + base64",
    nextStep: (varName) =>
      `give ${varName}'s whsec_ value (in .env) to the sender's endpoint settings; if the ` +
      `sender makes its own whsec_ secret, paste that into .env as ${varName} instead`,
    howToCreate: (varName, path) => `run 'hookgate init --route ${path}=standard:${varName}'`,
  },
  stripe: {
    scheme: "stripe",
    newSecret: () => null,
    format: "whsec_… made by Stripe",
    nextStep: (varName) =>
      `Stripe makes this one. In Stripe's Dashboard open Developers → Webhooks → your ` +
      `endpoint → Signing secret → Reveal, and add a line to .env that sets ${varName} to ` +
      `that whsec_… value (NAME=VALUE, in your editor)`,
    howToCreate: (varName) =>
      `Stripe makes this one: copy the endpoint's signing secret (whsec_…) from Stripe's ` +
      `Dashboard (Developers → Webhooks → your endpoint) and add a line to .env that sets ` +
      `${varName} to it (NAME=VALUE)`,
  },
};

/** The set-up for a scheme name (one of SCHEMES); unknown names get hookgate's. */
export function providerSetup(scheme: string): ProviderSetup {
  return SETUPS[scheme] ?? SETUPS.hookgate as ProviderSetup;
}

/**
 * serve's start-up error when a route's secret is missing: the variable, the
 * route, and the command (or dashboard) that creates it. Null when `reason`
 * is about something else.
 */
export function missingSecretHint(
  reason: string,
  routes: readonly { path: string; scheme: { name: string }; secretVar: string }[],
): string | null {
  const route = routes.find((spec) => reason.startsWith(`${spec.secretVar} is not set`));
  if (route === undefined) return null;
  const setup = providerSetup(route.scheme.name);
  return `${route.secretVar} is not set (route ${route.path}, ${route.scheme.name}): ` +
    setup.howToCreate(route.secretVar, route.path);
}

/** serve's start-up error for its routes: a missing secret names the command that creates it. */
export function routeProblem(
  reason: string,
  env: Record<string, string>,
  routeSpecs: string[],
): string {
  const specs = parseRouteSpecs(env, routeSpecs);
  return (specs.ok ? missingSecretHint(reason, specs.value) : null) ?? reason;
}

/** The wire formats by name, as `--route` and `--scheme` spell them. */
import type { Scheme } from "./scheme.ts";
import { githubScheme } from "./github.ts";
import { hookgateScheme } from "./hookgate.ts";
import { standardScheme } from "./standard.ts";
import { stripeScheme } from "./stripe.ts";

/**
 * Every wire format hookgate speaks, by name. A new one is its module, a line here and in
 * mod.ts, and the CLI's set-up for it (docs/architecture.md, "Where to change what").
 */
export const SCHEMES: Readonly<Record<string, Scheme>> = {
  hookgate: hookgateScheme,
  standard: standardScheme,
  github: githubScheme,
  stripe: stripeScheme,
};

export function schemeByName(name: string): Scheme | null {
  return Object.hasOwn(SCHEMES, name) ? SCHEMES[name] as Scheme : null;
}

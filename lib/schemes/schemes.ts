/** The wire formats by name, as `--route` and `--scheme` spell them. */
import type { Scheme } from "./scheme.ts";
import { githubScheme } from "./github.ts";
import { hookgateScheme } from "./hookgate.ts";
import { standardScheme } from "./standard.ts";
import { stripeScheme } from "./stripe.ts";

/** Every wire format hookgate speaks, by name. Adding one is one module plus one line here. */
export const SCHEMES: Readonly<Record<string, Scheme>> = {
  hookgate: hookgateScheme,
  standard: standardScheme,
  github: githubScheme,
  stripe: stripeScheme,
};

export function schemeByName(name: string): Scheme | null {
  return Object.hasOwn(SCHEMES, name) ? SCHEMES[name] as Scheme : null;
}

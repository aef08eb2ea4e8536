import type { Scheme } from "./scheme.ts";
import { githubScheme } from "./scheme_github.ts";
import { hookgateScheme } from "./scheme_hookgate.ts";
import { standardScheme } from "./scheme_standard.ts";
import { stripeScheme } from "./scheme_stripe.ts";

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

import type { Scheme } from "./scheme.ts";
import { hookgateScheme } from "./scheme_hookgate.ts";

/** Every wire format hookgate speaks, by name. Adding one is one module plus one line here. */
export const SCHEMES: Readonly<Record<string, Scheme>> = {
  hookgate: hookgateScheme,
};

export function schemeByName(name: string): Scheme | null {
  return Object.hasOwn(SCHEMES, name) ? SCHEMES[name] as Scheme : null;
}

/**
 * The wire formats' public surface: the Scheme interface, SCHEMES by name, and one adapter
 * per provider.
 */
export * from "./github.ts";
export * from "./hookgate.ts";
export * from "./scheme.ts";
export * from "./schemes.ts";
export * from "./standard.ts";
export * from "./stripe.ts";

export * from "./github.ts";
export * from "./hookgate.ts";
export * from "./scheme.ts";
export * from "./schemes.ts";
export * from "./standard.ts";
export * from "./stripe.ts";

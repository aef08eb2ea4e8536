/**
 * The egress guard's public surface: the allowlist policy, the request checks and
 * `fetchUrl`, which runs each hop in a Worker whose net permission is the allowlist.
 */
export * from "./egress_policy.ts";
export * from "./fetch_request.ts";
export * from "./fetch_url.ts";
export * from "./fetch_worker.ts";
export * from "./ip_address.ts";

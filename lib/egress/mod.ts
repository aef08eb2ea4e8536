export * from "./egress_policy.ts";
export * from "./fetch_request.ts";
export * from "./fetch_url.ts";
export * from "./fetch_worker.ts";
export * from "./ip_address.ts";

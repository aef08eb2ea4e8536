/**
 * The inspection API's public surface: `/events` and its live stream, and the bearer tokens
 * that guard them (issued by `hookgate token`, checked before anything else of a request).
 */
export * from "./bearer_token.ts";
export { EventRefs } from "./event_refs.ts";
export * from "./events_api.ts";
export * from "./events_stream.ts";
export * from "./token_revocations.ts";

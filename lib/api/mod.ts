export * from "./bearer_token.ts";
export * from "./events_api.ts";
export * from "./events_stream.ts";
export * from "./token_revocations.ts";

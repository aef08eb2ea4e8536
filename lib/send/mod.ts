/**
 * Sending's public surface: signing and delivering with retries, and the id a payload is
 * sent under.
 */
export * from "./payload_id.ts";
export * from "./sender.ts";

export * from "./payload_id.ts";
export * from "./sender.ts";

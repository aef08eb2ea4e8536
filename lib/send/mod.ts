export * from "./sender.ts";

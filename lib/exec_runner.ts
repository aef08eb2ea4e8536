export * from "./handoff/mod.ts";

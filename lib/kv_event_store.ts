export * from "./store/kv/mod.ts";

export * from "./store/redis/mod.ts";

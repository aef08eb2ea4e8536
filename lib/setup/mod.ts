/**
 * Set-up's public surface: configuration, `.env` reading and writing, the doctor checks,
 * git facts, and the permission narrowing of each command.
 */
export * from "./config.ts";
export * from "./doctor_checks.ts";
export * from "./dotenv.ts";
export * from "./env_file.ts";
export * from "./env_loader.ts";
export * from "./env_template.ts";
export * from "./env_text.ts";
export * from "./git.ts";
export * from "./gitignore.ts";
export * from "./permissions.ts";
export * from "./random_secret.ts";

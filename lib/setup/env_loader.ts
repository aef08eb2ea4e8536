/** The environment a command runs with: `.env` overlaid by the real environment. */
import { parseDotenv } from "./dotenv.ts";

export interface LoadEnvOptions {
  /** Directory whose `.env` is read; the working directory by default. */
  cwd?: string;
  /** The real environment; `Deno.env.toObject()` by default. */
  realEnv?: Record<string, string>;
}

/**
 * The environment hookgate runs with: `.env` from the working directory,
 * overlaid by the real environment (a variable already set there wins).
 * A missing `.env` is not an error; an unreadable one is reported by `doctor`.
 */
export function loadEnv(options: LoadEnvOptions = {}): Record<string, string> {
  const cwd = options.cwd ?? Deno.cwd();
  const realEnv = options.realEnv ?? Deno.env.toObject();
  let fileEnv: Record<string, string> = {};
  try {
    fileEnv = parseDotenv(Deno.readTextFileSync(`${cwd}/.env`));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return { ...fileEnv, ...realEnv };
}

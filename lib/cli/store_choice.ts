/**
 * Which event store a command opens (`--store`, else `HOOKGATE_STORE`, else the data
 * dir's own file: `defaultStoreSpec`, SQLite unless an earlier Deno KV file is there),
 * and opening it with the errors a person can act on: a bad spec is the flag's usage
 * error (64) or the variable's configuration error (78); an unreachable store is 69.
 * Used by serve, mcp and events alike.
 */
import { errorMessage, makePrivateDir, pathExists } from "../util/mod.ts";
import {
  defaultStoreSpec,
  type EventStore,
  localStoreFile,
  openStore,
  StoreSpecError,
} from "../store/mod.ts";
import { CliError, configError, usageError } from "./cli_error.ts";
import type { CommandContext } from "./command.ts";
import { ExitCode } from "./exit_codes.ts";

/** The flags that choose the store, read by `chooseStore`; spread into a command's flag table. */
export const STORE_FLAGS = {
  "data-dir": { type: "string" },
  store: { type: "string" },
} as const;

export interface StoreChoice {
  dataDir: string;
  storeSpec: string;
  /** Whether the spec came from --store (a bad one is then a usage error, else configuration). */
  storeFromFlag: boolean;
}

export function chooseStore(
  values: { store?: string | undefined; "data-dir"?: string | undefined },
  context: Pick<CommandContext, "cwd" | "env">,
): StoreChoice {
  const dataDir = values["data-dir"] ?? `${context.cwd}/.hookgate`;
  return {
    dataDir,
    storeSpec: values.store ?? context.env.HOOKGATE_STORE ?? defaultStoreSpec(dataDir),
    storeFromFlag: values.store !== undefined,
  };
}

/**
 * The flags another command run in `cwd` needs to open the same store (what serve's log adds
 * to the command it prints): none for the data dir's own file in `./.hookgate`, else
 * `--data-dir` or `--store`, a URL's password left out (that command reads REDIS_PASSWORD).
 */
export function storeFlags(choice: StoreChoice, cwd: string): string[] {
  if (choice.storeSpec === defaultStoreSpec(choice.dataDir)) {
    return choice.dataDir === `${cwd}/.hookgate` ? [] : ["--data-dir", choice.dataDir];
  }
  if (!/^rediss?:\/\//.test(choice.storeSpec)) return ["--store", choice.storeSpec];
  try {
    const url = new URL(choice.storeSpec);
    url.password = "";
    return ["--store", url.href];
  } catch {
    return [];
  }
}

/** Whether the chosen store may be shared by several machines (anything but a local file). */
export function isSharedStore(choice: StoreChoice): boolean {
  return localStoreFile(choice.storeSpec, choice.dataDir) === null;
}

/**
 * Opens the chosen store. `create: true` makes the data dir (private) for a local
 * file (Deno KV, SQLite); `create: false` refuses such a file that does not exist
 * yet, naming the command that creates it.
 */
export async function openChosenStore(
  choice: StoreChoice,
  context: Pick<CommandContext, "env" | "output">,
  options: { create: boolean },
): Promise<EventStore> {
  const path = localStoreFile(choice.storeSpec, choice.dataDir);
  if (/^rediss?:/i.test(choice.storeSpec)) {
    // A Redis password stays out of every line the command prints, in any form, whichever
    // command opens the store (the store's code is loaded for it next in any case).
    const { parseRedisUrl, redisSecretValues } = await import("../store/redis/mod.ts");
    const redis = parseRedisUrl(choice.storeSpec, { password: context.env.REDIS_PASSWORD });
    if (redis.ok) context.output.protect(redisSecretValues(redis.value, choice.storeSpec));
  }
  if (path !== null) {
    if (options.create) {
      await makePrivateDir(choice.dataDir);
    } else if (!(await pathExists(path))) {
      throw new CliError(
        ExitCode.unavailable,
        `cannot open the event store: ${path} does not exist: run 'hookgate serve' here first`,
      );
    }
  }
  try {
    return await openStore(choice.storeSpec, {
      dataDir: choice.dataDir,
      ...(context.env.REDIS_PASSWORD === undefined
        ? {}
        : { redisPassword: context.env.REDIS_PASSWORD }),
      warn: (line) => context.output.err(`hookgate: ${line}`),
    });
  } catch (error) {
    if (error instanceof StoreSpecError) {
      const message = `${choice.storeFromFlag ? "--store" : "HOOKGATE_STORE"}: ${error.message}`;
      throw choice.storeFromFlag ? usageError(message) : configError(message);
    }
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      throw error;
    }
    throw new CliError(ExitCode.unavailable, `cannot open the event store: ${errorMessage(error)}`);
  }
}

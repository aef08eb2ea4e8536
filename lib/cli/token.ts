/**
 * `hookgate token`: mints a short-lived bearer token for the inspection API, or revokes one.
 * The one place hookgate prints a credential, so it goes to stdout past the redactor.
 */
import {
  DEFAULT_TOKEN_TTL_MS,
  issueToken,
  isTokenId,
  MAX_TOKEN_TTL_MS,
  newTokenId,
  openTokenRevocations,
  TOKEN_SCOPES,
  tokenKeyFromEnv,
  type TokenScope,
} from "../api/mod.ts";
import { CliError, configError, usageError } from "./cli_error.ts";
import {
  chooseStore,
  isSharedStore,
  openChosenStore,
  STORE_FLAGS,
  type StoreChoice,
} from "./store_choice.ts";
import { errorMessage } from "../util/mod.ts";
import type { EventStore } from "../store/mod.ts";
import { parseDurationMs } from "../setup/mod.ts";
import { ExitCode } from "./exit_codes.ts";
import { noPositionals, numberFlag, parseCommandArgs, valueFlags } from "./args.ts";
import type { Command, CommandContext } from "./command.ts";

const HELP =
  `hookgate token — issue a short-lived bearer token for serve's /events API, or revoke one

Usage: hookgate token --scope read|write [--ttl 15m]
       hookgate token --revoke ID [--data-dir DIR] [--store SPEC]

Prints a bearer token for serve's inspection API (/events) on stdout: a signed,
expiring credential carrying its scope, its expiry and a token id, under its own
key HOOKGATE_TOKEN_SECRET (never the webhook secret). The token id and expiry
go to stderr. This is the one place hookgate prints a credential. Keep it out
of shell history and logs (redirect it into a file, as below).

  read   GET /events?status=pending|done|dead&limit=N, GET /events/{route}/{key}
  write  everything read allows, plus POST /events/{route}/{key}/redeliver

Options:
  --scope read|write   what the token may do (write implies read)
  --ttl DURATION       lifetime, e.g. 90s, 15m, 2h (default 15m, at most 24h)
  --revoke ID          refuse the token with this id from now on (serve checks
                       on every request; no restart needed)
  --data-dir DIR       where the revocation list lives (default .hookgate, the
                       same directory serve uses)
  --store SPEC         with --revoke: the store serve uses (default
                       HOOKGATE_STORE). On a shared one (redis://…) the
                       revocation is kept there too, so every instance of a
                       fleet refuses the token
  -h, --help           show this help

Environment: HOOKGATE_TOKEN_SECRET (at least 16 bytes; 'hookgate init' makes one);
HOOKGATE_STORE and REDIS_PASSWORD, read by --revoke as serve reads them.

Examples:
  hookgate token --scope read --ttl 10m > read.token
  curl --oauth2-bearer "$(cat read.token)" 'http://127.0.0.1:8000/events?status=dead'
  hookgate token --revoke 0f1e2d3c4b5a69788796a5b4c3d2e1f0   # the id it printed on stderr
  hookgate token --revoke 0f1e2d3c4b5a69788796a5b4c3d2e1f0 --store redis://10.0.0.5:6379/0

Exit codes: 0 printed or revoked · 64 usage · 69 the shared store could not record the
revocation (this machine's list has it; run it again) · 78 HOOKGATE_TOKEN_SECRET missing or
weak, or a bad HOOKGATE_STORE.`;

const FLAGS = { ...valueFlags("scope", "ttl", "revoke"), ...STORE_FLAGS };

async function run(context: CommandContext): Promise<ExitCode> {
  const { values, positionals } = parseCommandArgs("token", context.args, FLAGS);
  // `token revoke ID` and `token read` read naturally, but scope and revoke are flags.
  const [first, second] = positionals;
  if (first === "revoke" || ((TOKEN_SCOPES as readonly string[]).includes(first ?? ""))) {
    const flagged = first === "revoke" ? `--revoke ${second ?? "ID"}` : `--scope ${first}`;
    throw usageError(
      `unexpected argument '${first}': did you mean 'hookgate token ${flagged}'?\n` +
        "Run 'hookgate token --help'.",
    );
  }
  noPositionals("token", positionals);
  if (values.revoke !== undefined) {
    if (values.scope !== undefined || values.ttl !== undefined) {
      throw usageError("--revoke takes no --scope or --ttl: revoke and issue separately");
    }
    return await revoke(context, values.revoke, chooseStore(values, context));
  }
  if (values.store !== undefined) {
    throw usageError(
      "--store is for --revoke only: an issued token is kept nowhere (serve checks its signature)",
    );
  }
  if (values.scope === undefined) {
    throw usageError(
      "give --scope read or --scope write to issue a token, or --revoke ID to refuse one\n" +
        "Run 'hookgate token --help'.",
    );
  }
  const scope = parseScope(values.scope);
  const { token, tokenId, expiresAtMs } = mintToken(context.env, {
    scope,
    ttlMs: parseTtlMs(values.ttl),
    nowMs: Date.now(),
  });
  writeStdout(token);
  context.output.err(
    `hookgate: ${scope} token ${tokenId} valid until ${new Date(expiresAtMs).toISOString()}` +
      `; revoke it with: hookgate token --revoke ${tokenId}`,
  );
  return ExitCode.ok;
}

/**
 * Issues a token signed with HOOKGATE_TOKEN_SECRET (from the environment or .env):
 * a missing or weak key is a configuration error (78), a bad lifetime a usage error.
 */
export function mintToken(
  env: Record<string, string>,
  request: { scope: TokenScope; ttlMs: number; nowMs: number },
): { token: string; tokenId: string; expiresAtMs: number } {
  const key = tokenKeyFromEnv(env);
  if (!key.ok) throw configError(key.reason);
  const issued = issueToken({ ...request, tokenId: newTokenId() }, key.value);
  if (!issued.ok) throw usageError(issued.reason);
  return issued.value;
}

export function parseScope(raw: string): TokenScope {
  if (!(TOKEN_SCOPES as readonly string[]).includes(raw)) {
    throw usageError(`--scope must be read or write, got '${raw}'`);
  }
  return raw as TokenScope;
}

export function parseTtlMs(raw: string | undefined): number {
  return numberFlag("--ttl", raw, parseDurationMs, {
    fallback: DEFAULT_TOKEN_TTL_MS,
    max: MAX_TOKEN_TTL_MS,
    tooLarge: "--ttl is capped at 24h (short-lived tokens limit the damage of a leak)",
  });
}

/**
 * Revokes in the data dir's list and, on a store a fleet shares, in the store. The store is
 * opened first, so a bad spec or a missing permission stops before anything is written; one
 * that cannot be reached still leaves this machine refusing the token, and says so (69).
 */
async function revoke(
  context: CommandContext,
  tokenId: string,
  choice: StoreChoice,
): Promise<ExitCode> {
  if (!isTokenId(tokenId)) {
    throw usageError(
      "--revoke needs a token id: the 32 hex digits 'hookgate token' printed on stderr",
    );
  }
  let shared: EventStore | null = null;
  let unrecorded: string | null = null;
  if (isSharedStore(choice)) {
    try {
      shared = await openChosenStore(choice, context, { create: false });
    } catch (error) {
      if (!(error instanceof CliError) || error.exitCode !== ExitCode.unavailable) throw error;
      unrecorded = error.message;
    }
  }
  try {
    const local = await openTokenRevocations(choice.dataDir);
    try {
      await local.revoke(tokenId, { nowMs: Date.now() });
    } finally {
      local.close();
    }
    if (shared !== null && shared.revocations === undefined) {
      unrecorded = "this store keeps no revocations";
    }
    await shared?.revocations?.revoke(tokenId, MAX_TOKEN_TTL_MS).catch((error) => {
      unrecorded = `the shared store did not record it: ${errorMessage(error)}`;
    });
  } finally {
    await shared?.close();
  }
  if (unrecorded !== null) {
    throw new CliError(
      ExitCode.unavailable,
      `token ${tokenId} is revoked on this machine only: ${unrecorded}\n` +
        "Run the same command again once the store takes it, so every instance refuses it.",
    );
  }
  // The store named as the fleet's instances must name it: a revocation kept under another
  // host, database or prefix reaches none of them.
  const where = shared === null ? "" : ` on every instance of ${await storeName(choice.storeSpec)}`;
  context.output.err(
    `hookgate: token ${tokenId} revoked${where}; serve refuses it from its next request, ` +
      "and a live view open with it closes within a second or two",
  );
  return ExitCode.ok;
}

/** A shared store as a person checks it against serve's: where, which database, which prefix. */
async function storeName(spec: string): Promise<string> {
  // Loaded only here, where the Redis store was opened anyway.
  const { parseRedisUrl } = await import("../store/redis/mod.ts");
  const target = parseRedisUrl(spec);
  return target.ok ? `${target.value.display} (key prefix ${target.value.keyPrefix})` : "the store";
}

/**
 * Writes a freshly minted token (or a link that carries one) to stdout. Deliberately NOT
 * through the redactor: the token is the command's result, and a redactor that learns
 * hookgate's token shape (which it should, for every other sink) would print `***redacted***`.
 */
export function writeStdout(token: string): void {
  const bytes = new TextEncoder().encode(token + "\n");
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}

export const tokenCommand: Command = { help: HELP, run };

/**
 * `hookgate redact`: copies stdin to stdout through the streaming redactor (lib/redact/),
 * in constant memory, for logs a person wants to share.
 */
import { usageError } from "./cli_error.ts";
import { ExitCode } from "./exit_codes.ts";
import { createRedactor, createRedactStream, DEFAULT_MAX_LINE_CHARS } from "../redact/mod.ts";
import { knownSecrets } from "./known_secrets.ts";
import { parseCommandArgs } from "./args.ts";
import type { Command } from "./command.ts";

const HELP = `hookgate redact — copy stdin to stdout with credentials removed

Usage: hookgate redact [--no-secrets-from-env]

Copies stdin to stdout with credentials replaced by ***redacted***, through the
same redactor as hookgate's trace and diagnostics. Streams: constant memory on
any input size; a private-key block spanning lines is removed up to its END line.

Removed:
  - the exact values of the secret variables in the environment and .env (names
    ending in SECRET, TOKEN, PASSWORD, _KEY ...), raw and URL-, JSON-, base64-
    and hex-encoded
  - values under secret-looking keys: Authorization, Cookie, password, token,
    api_key, client_secret, *_TOKEN, *_SECRET, *_KEY ... (not max_tokens,
    token_count, token_type, client_id, public_key)
  - Bearer/Basic credentials, passwords in URLs and command lines (curl -u
    user:PASSWORD, --password PASSWORD), secret query parameters (access_token=,
    api_key=, sig= ...), KEY=value lines with a secret key, session and auth
    cookie values (other cookies and Path, HttpOnly ... stay)
  - PEM private keys, JWTs, and vendor tokens: GitHub, AWS, Slack, Stripe,
    OpenAI, Anthropic, Google, npm, GitLab, Hugging Face, SendGrid
  Nothing is guessed from entropy: git SHAs, UUIDs and digests pass through,
  and so do sentences (secret: roll one ...) and shell references ($TOKEN).
  The rules in full: docs/redaction.md.

Options:
  --no-secrets-from-env  do not remove the environment's and .env's secret
                         values, only credential shapes (--secrets-from-env,
                         the default, is still accepted)
  -h, --help             show this help

Example:
  hookgate redact < app.log > app.redacted.log

Exit codes: 0 copied · 64 usage.`;

export const redactCommand: Command = {
  help: HELP,
  async run(context) {
    const { values, positionals } = parseCommandArgs("redact", context.args, {
      "secrets-from-env": { type: "boolean" },
      "no-secrets-from-env": { type: "boolean" },
    });
    if (positionals.length > 0) {
      throw usageError(
        `redact reads stdin only (got '${positionals[0]}'): pipe the file in, ` +
          `e.g. 'hookgate redact < FILE'`,
      );
    }
    const optOut = values["no-secrets-from-env"] === true;
    if (optOut && values["secrets-from-env"] === true) {
      throw usageError("give --secrets-from-env or --no-secrets-from-env, not both");
    }
    // The safe choice is the default: the secrets hookgate knows are removed unless refused.
    const secrets = optOut ? [] : await knownSecrets(context.env);
    const redactor = createRedactor({ secrets });
    const text = Deno.stdin.readable
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(createRedactStream(redactor, { maxLineChars: DEFAULT_MAX_LINE_CHARS }));
    // The stream is the redactor, so its text goes straight to stdout rather than through
    // context.output a second time (which would also apply the environment's secrets,
    // making --no-secrets-from-env meaningless, and halve the throughput). Awaiting each write
    // keeps memory constant: a slow reader of stdout slows the read of stdin.
    const encoder = new TextEncoder();
    try {
      for await (const chunk of text) await writeAll(encoder.encode(chunk));
    } catch (error) {
      // The reader went away (`hookgate redact < big.log | head`): stop, as cat would.
      if (error instanceof Deno.errors.BrokenPipe) return ExitCode.ok;
      throw error;
    }
    return ExitCode.ok;
  },
};

async function writeAll(bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await Deno.stdout.write(bytes.subarray(written));
}

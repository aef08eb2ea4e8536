import assert from "node:assert/strict";
import { isSecretKey } from "../../lib/redact/mod.ts";

Deno.test("isSecretKey() recognises secret names ignoring case and separators", () => {
  for (
    const name of [
      "authorization",
      "Proxy-Authorization",
      "cookie",
      "Set-Cookie",
      "password",
      "passwd",
      "secret",
      "token",
      "api_key",
      "apikey",
      "X-Api-Key",
      "access_token",
      "refreshToken",
      "ID_TOKEN",
      "client-secret",
      "private_key",
      "DB_PASSWORD",
      "AWS_SECRET_ACCESS_KEY",
      "GITHUB_TOKEN",
      "stripe.signing-key",
      "WEBHOOK_SECRET",
      "WEBHOOK_SECRET_PREVIOUS",
      "HOOKGATE_TOKEN_SECRET",
      "x-auth-token",
    ]
  ) assert.equal(isSecretKey(name), true, name);
});

Deno.test("isSecretKey() leaves look-alike names alone", () => {
  for (
    const name of [
      "max_tokens",
      "maxTokens",
      "token_count",
      "token_type",
      "client_id",
      "public_key",
      "publicKey",
      "HOOKGATE_EVENT_KEY",
      "key",
      "monkey",
      "keyboard",
      "secret_name",
      "PWD",
      "PATH",
      "tokens",
      "tokenizer",
      "x-signature",
    ]
  ) assert.equal(isSecretKey(name), false, name);
});

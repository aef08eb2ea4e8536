import assert from "node:assert/strict";
import { fromBase64 } from "../../lib/util/mod.ts";
import { randomSecret } from "../../lib/setup/mod.ts";

Deno.test("randomSecret() is 32 bytes as 43 base64url characters", () => {
  const secret = randomSecret();
  assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
  const bytes = fromBase64(secret.replace(/-/g, "+").replace(/_/g, "/") + "=");
  assert.equal(bytes?.length, 32);
});

Deno.test("randomSecret() differs on every call", () => {
  const secrets = new Set(Array.from({ length: 100 }, () => randomSecret()));
  assert.equal(secrets.size, 100);
});

Deno.test("randomSecret() honours a byte count", () => {
  assert.match(randomSecret({ bytes: 48 }), /^[A-Za-z0-9_-]{64}$/);
});

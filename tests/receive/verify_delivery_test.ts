import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { importHmacKey, utf8 } from "../../lib/util/mod.ts";
import { hookgateScheme } from "../../lib/schemes/mod.ts";
import { verifyDelivery } from "../../lib/receive/mod.ts";

const SECRET = "test-secret-0123456789abcdef";
const NOW = 1_700_000_000;
const BODY = utf8('{"id":"e42","event":"push"}');

function independentSignature(ts: string, body: Uint8Array, secret = SECRET): string {
  return createHmac("sha256", secret).update(`${ts}.`).update(body).digest("hex");
}

function verify(headers: Record<string, string>, body = BODY) {
  const keys = [importHmacKey(utf8(SECRET))];
  return verifyDelivery(
    { scheme: hookgateScheme, keys, headers: new Headers(headers), body },
    { nowSeconds: NOW, toleranceSeconds: 300 },
  );
}

Deno.test("verifyDelivery() accepts a signature made independently with node:crypto", () => {
  const result = verify({
    "x-timestamp": String(NOW),
    "x-signature": independentSignature(String(NOW), BODY),
  });
  assert.equal(result.ok, true);
});

Deno.test("verifyDelivery() rejects a stale timestamp even with a valid signature", () => {
  const ts = String(NOW - 301);
  const result = verify({ "x-timestamp": ts, "x-signature": independentSignature(ts, BODY) });
  assert.deepEqual(result, { ok: false, reason: "timestamp outside allowed window" });
});

Deno.test("verifyDelivery() rejects a timestamp too far in the future", () => {
  const ts = String(NOW + 301);
  const result = verify({ "x-timestamp": ts, "x-signature": independentSignature(ts, BODY) });
  assert.deepEqual(result, { ok: false, reason: "timestamp outside allowed window" });
});

Deno.test("verifyDelivery() rejects a signature made with another secret", () => {
  const ts = String(NOW);
  const forged = independentSignature(ts, BODY, "another-secret-0123456789");
  const result = verify({ "x-timestamp": ts, "x-signature": forged });
  assert.deepEqual(result, { ok: false, reason: "bad signature" });
});

Deno.test("verifyDelivery() rejects a body changed after signing", () => {
  const ts = String(NOW);
  const result = verify(
    { "x-timestamp": ts, "x-signature": independentSignature(ts, BODY) },
    utf8('{"id":"e42","event":"push" }'),
  );
  assert.deepEqual(result, { ok: false, reason: "bad signature" });
});

Deno.test("verifyDelivery() reports a missing timestamp before the signature", () => {
  const result = verify({ "x-signature": independentSignature(String(NOW), BODY) });
  assert.deepEqual(result, { ok: false, reason: "missing/invalid timestamp" });
});

Deno.test("hookgateScheme.sign() produces what node:crypto computes", () => {
  const key = importHmacKey(utf8(SECRET));
  const headers = hookgateScheme.sign(BODY, {
    keys: [key],
    timestampSeconds: NOW,
    id: "e42",
  });
  assert.deepEqual(headers, {
    "x-timestamp": String(NOW),
    "x-signature": independentSignature(String(NOW), BODY),
  });
});

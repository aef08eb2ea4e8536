import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { type HmacKey, importHmacKey, utf8 } from "../../lib/util/mod.ts";
import { stripeScheme } from "../../lib/schemes/mod.ts";
import { verifyDelivery } from "../../lib/receive/mod.ts";

const SECRET = "whsec_test_secret_0123456789abcdef";
const OTHER = "whsec_other_secret_0123456789abcdef";
const NOW = 1_700_000_000;
const BODY = utf8('{"id":"evt_1","object":"event","type":"charge.succeeded"}');

// node:crypto as the independent peer: Stripe keys the HMAC with the whole secret string.
function mac(ts: number | string, secret = SECRET): string {
  return createHmac("sha256", secret).update(`${ts}.`).update(BODY).digest("hex");
}

function key(secret = SECRET): HmacKey {
  const bytes = stripeScheme.secretBytes(secret);
  assert.ok(bytes.ok);
  return importHmacKey(bytes.value);
}

function verify(header: string | null) {
  const headers = new Headers(header === null ? {} : { "stripe-signature": header });
  return verifyDelivery(
    { scheme: stripeScheme, keys: [key()], headers, body: BODY },
    { nowSeconds: NOW, toleranceSeconds: 300 },
  );
}

Deno.test("stripeScheme accepts a header signed with the whole secret string", () => {
  const result = verify(`t=${NOW},v1=${mac(NOW)}`);
  assert.ok(result.ok);
  assert.equal(result.value.headerId, null);
});

Deno.test("stripeScheme accepts any matching v1 among several, and ignores v0", () => {
  const result = verify(`t=${NOW},v1=${mac(NOW, OTHER)},v0=${"0".repeat(64)},v1=${mac(NOW)}`);
  assert.equal(result.ok, true);
});

Deno.test("stripeScheme.sign() signs with every key, in order", () => {
  const headers = stripeScheme.sign(BODY, {
    keys: [key(OTHER), key()],
    timestampSeconds: NOW,
    id: "evt_1",
  });
  assert.deepEqual(headers, {
    "stripe-signature": `t=${NOW},v1=${mac(NOW, OTHER)},v1=${mac(NOW)}`,
  });
});

Deno.test("stripeScheme rejects a timestamp too far in the future (stripe-node checks only the past)", () => {
  const ts = NOW + 301;
  assert.deepEqual(verify(`t=${ts},v1=${mac(ts)}`), {
    ok: false,
    reason: "timestamp outside allowed window",
  });
});

const MALFORMED: Array<[string, string | null, string]> = [
  ["no header", null, "missing/invalid timestamp"],
  ["no timestamp", `v1=${mac(NOW)}`, "missing/invalid timestamp"],
  ["two timestamps", `t=${NOW},t=${NOW},v1=${mac(NOW)}`, "missing/invalid timestamp"],
  ["timestamp with letters", `t=${NOW}abc,v1=${mac(NOW)}`, "missing/invalid timestamp"],
  ["fractional timestamp", `t=${NOW}.5,v1=${mac(NOW)}`, "missing/invalid timestamp"],
  ["empty timestamp", `t=,v1=${mac(NOW)}`, "missing/invalid timestamp"],
  ["leading-zero timestamp", `t=0${NOW},v1=${mac(NOW)}`, "missing/invalid timestamp"],
  ["stale timestamp", `t=${NOW - 301},v1=${mac(NOW - 301)}`, "timestamp outside allowed window"],
  ["no v1 entry", `t=${NOW}`, "bad signature"],
  ["only v0", `t=${NOW},v0=${mac(NOW)}`, "bad signature"],
  ["empty pair", `t=${NOW},,v1=${mac(NOW)}`, "bad signature"],
  ["trailing comma", `t=${NOW},v1=${mac(NOW)},`, "bad signature"],
  ["space after a comma", `t=${NOW}, v1=${mac(NOW)}`, "bad signature"],
  ["extra '=' in a pair", `t=${NOW},v1==${mac(NOW)}`, "bad signature"],
  ["uppercase hex", `t=${NOW},v1=${mac(NOW).toUpperCase()}`, "bad signature"],
  ["63 hex digits", `t=${NOW},v1=${mac(NOW).slice(1)}`, "bad signature"],
  ["65 hex digits", `t=${NOW},v1=${mac(NOW)}0`, "bad signature"],
  ["signed for another timestamp", `t=${NOW},v1=${mac(NOW - 1)}`, "bad signature"],
  ["signed with another secret", `t=${NOW},v1=${mac(NOW, OTHER)}`, "bad signature"],
];

for (const [label, header, verdict] of MALFORMED) {
  Deno.test(`stripeScheme refuses ${label}: ${verdict}`, () => {
    assert.deepEqual(verify(header), { ok: false, reason: verdict });
  });
}

import assert from "node:assert/strict";
import { type HmacKey, importHmacKey, utf8 } from "../../lib/util/mod.ts";
import { githubScheme } from "../../lib/schemes/mod.ts";
import { verifyDelivery } from "../../lib/receive/mod.ts";

// A known-answer vector (GitHub's documentation example).
const SECRET = "It's a Secret to Everybody";
const BODY = utf8("Hello, World!");
const EXPECTED = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
const HEX = EXPECTED.slice(7);
const DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
const NOW = 1_700_000_000;

function key(secret = SECRET): HmacKey {
  const bytes = githubScheme.secretBytes(secret);
  assert.ok(bytes.ok);
  return importHmacKey(bytes.value);
}

function verify(headers: Record<string, string>, options: { nowSeconds?: number } = {}) {
  return verifyDelivery(
    { scheme: githubScheme, keys: [key()], headers: new Headers(headers), body: BODY },
    { nowSeconds: options.nowSeconds ?? NOW, toleranceSeconds: 300 },
  );
}

Deno.test("githubScheme.sign() reproduces the known-answer vector", () => {
  const headers = githubScheme.sign(BODY, {
    keys: [key()],
    timestampSeconds: NOW,
    id: DELIVERY,
  });
  assert.deepEqual(headers, { "x-hub-signature-256": EXPECTED, "x-github-delivery": DELIVERY });
});

Deno.test("githubScheme accepts the known-answer vector and keys the replay by delivery id", () => {
  const result = verify({ "x-hub-signature-256": EXPECTED, "x-github-delivery": DELIVERY });
  assert.ok(result.ok);
  assert.equal(result.value.headerId, DELIVERY);
  assert.equal(result.value.timestampSeconds, null);
});

Deno.test("githubScheme has no freshness window: a week-old redelivery still verifies", () => {
  const result = verify(
    { "x-hub-signature-256": EXPECTED, "x-github-delivery": DELIVERY },
    { nowSeconds: NOW + 7 * 86_400 },
  );
  assert.equal(result.ok, true);
});

Deno.test("githubScheme.sign() signs with the current key only (one signature fits)", () => {
  const headers = githubScheme.sign(BODY, {
    keys: [key(), key("a different secret entirely")],
    timestampSeconds: NOW,
    id: DELIVERY,
  });
  assert.equal(headers["x-hub-signature-256"], EXPECTED);
});

const MALFORMED: Array<[string, Record<string, string>]> = [
  ["no signature header", { "x-github-delivery": DELIVERY }],
  ["only the SHA-1 header", { "x-hub-signature": "sha1=" + "0".repeat(40) }],
  ["uppercase hex", { "x-hub-signature-256": EXPECTED.toUpperCase().replace("SHA256", "sha256") }],
  ["uppercase prefix", { "x-hub-signature-256": `SHA256=${HEX}` }],
  ["no prefix", { "x-hub-signature-256": HEX }],
  ["sha1 prefix on a sha256 MAC", { "x-hub-signature-256": `sha1=${HEX}` }],
  ["a second entry after a comma", { "x-hub-signature-256": `${EXPECTED},sha256=${HEX}` }],
  ["a space inside", { "x-hub-signature-256": `sha256= ${HEX}` }],
  ["63 hex digits", { "x-hub-signature-256": EXPECTED.slice(0, -1) }],
  ["65 hex digits", { "x-hub-signature-256": `${EXPECTED}0` }],
  ["base64 instead of hex", { "x-hub-signature-256": `sha256=${btoa(HEX).slice(0, 44)}` }],
  ["a signature of another body", {
    "x-hub-signature-256": "sha256=" + "ab".repeat(32),
  }],
];

for (const [label, headers] of MALFORMED) {
  Deno.test(`githubScheme refuses ${label}: bad signature`, () => {
    assert.deepEqual(verify(headers), { ok: false, reason: "bad signature" });
  });
}

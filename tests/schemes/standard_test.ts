import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { fromBase64, type HmacKey, importHmacKey, utf8 } from "../../lib/util/mod.ts";
import { standardScheme } from "../../lib/schemes/mod.ts";
import { verifyDelivery } from "../../lib/receive/mod.ts";

// A known-answer vector (from the Standard Webhooks reference tests).
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS = 1614265330;
const BODY = utf8('{"test": 2432232314}');
const EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const MAC = EXPECTED.slice(3);
const OTHER_SECRET = "whsec_" + btoa("another secret, 24 bytes");

function keyFor(secret: string): HmacKey {
  const bytes = standardScheme.secretBytes(secret);
  assert.ok(bytes.ok);
  return importHmacKey(bytes.value);
}

function verify(headers: Record<string, string>, options: { keys?: HmacKey[] } = {}) {
  return verifyDelivery(
    {
      scheme: standardScheme,
      keys: options.keys ?? [keyFor(SECRET)],
      headers: new Headers(headers),
      body: BODY,
    },
    { nowSeconds: TS, toleranceSeconds: 300 },
  );
}

function headersWith(signature: string, extra: Record<string, string> = {}) {
  return {
    "webhook-id": ID,
    "webhook-timestamp": String(TS),
    "webhook-signature": signature,
    ...extra,
  };
}

Deno.test("standardScheme.sign() reproduces the known-answer vector", () => {
  const headers = standardScheme.sign(BODY, {
    keys: [keyFor(SECRET)],
    timestampSeconds: TS,
    id: ID,
  });
  assert.deepEqual(headers, {
    "webhook-id": ID,
    "webhook-timestamp": String(TS),
    "webhook-signature": EXPECTED,
  });
});

Deno.test("standardScheme accepts the known-answer vector", () => {
  const result = verify(headersWith(EXPECTED));
  assert.equal(result.ok, true);
  assert.equal(result.ok && result.value.headerId, ID);
});

Deno.test("standardScheme accepts the svix-* header names", () => {
  const result = verify({
    "svix-id": ID,
    "svix-timestamp": String(TS),
    "svix-signature": EXPECTED,
  });
  assert.equal(result.ok, true);
});

Deno.test("standardScheme accepts identical svix-* and webhook-* headers sent together", () => {
  const result = verify({
    ...headersWith(EXPECTED),
    "svix-id": ID,
    "svix-timestamp": String(TS),
    "svix-signature": EXPECTED,
  });
  assert.equal(result.ok, true);
});

Deno.test("standardScheme.sign() signs with every key, verifiable by node:crypto", () => {
  const headers = standardScheme.sign(BODY, {
    keys: [keyFor(OTHER_SECRET), keyFor(SECRET)],
    timestampSeconds: TS,
    id: ID,
  });
  const other = createHmac("sha256", fromBase64(OTHER_SECRET.slice(6)) as Uint8Array)
    .update(`${ID}.${TS}.`).update(BODY).digest("base64");
  assert.equal(headers["webhook-signature"], `v1,${other} ${EXPECTED}`);
});

Deno.test("standardScheme accepts a list where any v1 entry matches (rotation)", () => {
  const result = verify(
    headersWith(`v1a,c29tZXRoaW5n v1,${btoa("x".repeat(32))} ${EXPECTED}`),
  );
  assert.equal(result.ok, true);
});

Deno.test("standardScheme rejects a valid signature under a different secret", () => {
  const result = verify(headersWith(EXPECTED), { keys: [keyFor(OTHER_SECRET)] });
  assert.deepEqual(result, { ok: false, reason: "bad signature" });
});

Deno.test("standardScheme.secretBytes() takes whsec_ + canonical base64 of at least 16 bytes", () => {
  assert.equal(standardScheme.secretBytes(SECRET).ok, true);
  assert.equal(standardScheme.secretBytes(SECRET.slice(6)).ok, true);
  assert.equal(standardScheme.secretBytes("whsec_not base64!").ok, false);
  assert.equal(standardScheme.secretBytes("whsec_" + btoa("short")).ok, false);
  const noPadding = "whsec_" + btoa("x".repeat(17)).replace(/=+$/, "");
  assert.equal(standardScheme.secretBytes(noPadding).ok, false);
});

// Each row: one way the headers can be wrong, and the exact verdict (serve answers 401 with it).
const MALFORMED: Array<[string, Record<string, string>, string]> = [
  ["no headers at all", {}, "missing/invalid timestamp"],
  [
    "timestamp with letters",
    { ...headersWith(EXPECTED), "webhook-timestamp": `${TS}abc` },
    "missing/invalid timestamp",
  ],
  [
    "fractional timestamp",
    { ...headersWith(EXPECTED), "webhook-timestamp": `${TS}.9` },
    "missing/invalid timestamp",
  ],
  [
    "negative timestamp",
    { ...headersWith(EXPECTED), "webhook-timestamp": `-${TS}` },
    "missing/invalid timestamp",
  ],
  [
    "stale timestamp",
    { ...headersWith(EXPECTED), "webhook-timestamp": String(TS - 301) },
    "timestamp outside allowed window",
  ],
  [
    "future timestamp",
    { ...headersWith(EXPECTED), "webhook-timestamp": String(TS + 301) },
    "timestamp outside allowed window",
  ],
  ["no signature header", { "webhook-id": ID, "webhook-timestamp": String(TS) }, "bad signature"],
  [
    "no id header",
    { "webhook-timestamp": String(TS), "webhook-signature": EXPECTED },
    "bad signature",
  ],
  ["another id", headersWith(EXPECTED, { "webhook-id": "msg_other" }), "bad signature"],
  ["extra comma in the entry", headersWith(`${EXPECTED},`), "bad signature"],
  ["entry with two commas", headersWith(`v1,,${MAC}`), "bad signature"],
  ["entry without version", headersWith(`,${MAC}`), "bad signature"],
  ["no comma", headersWith(`v1${MAC}`), "bad signature"],
  [
    "double space between entries",
    headersWith(`v1,${btoa("y".repeat(32))}  ${EXPECTED}`),
    "bad signature",
  ],
  ["empty entry at the end", headersWith(`${EXPECTED} ,`), "bad signature"],
  ["unpadded base64", headersWith(`v1,${MAC.replace(/=$/, "")}`), "bad signature"],
  [
    "base64url alphabet",
    headersWith(`v1,${MAC.replace(/\+/g, "-").replace(/\//g, "_")}`),
    "bad signature",
  ],
  ["non-canonical trailing bits", headersWith(`v1,${MAC.slice(0, -2)}F=`), "bad signature"],
  ["31-byte MAC", headersWith(`v1,${btoa(atob(MAC).slice(0, 31))}`), "bad signature"],
  ["33-byte MAC", headersWith(`v1,${btoa(atob(MAC) + "x")}`), "bad signature"],
  ["wrong version", headersWith(`v2,${MAC}`), "bad signature"],
  ["uppercase version", headersWith(`V1,${MAC}`), "bad signature"],
  [
    "svix and webhook ids disagree",
    { ...headersWith(EXPECTED), "svix-id": "msg_other" },
    "bad signature",
  ],
  ["svix and webhook timestamps disagree", {
    ...headersWith(EXPECTED),
    "svix-timestamp": String(TS + 1),
  }, "bad signature"],
  ["svix and webhook signatures disagree", {
    ...headersWith(EXPECTED),
    "svix-signature": `v1,${btoa("z".repeat(32))}`,
  }, "bad signature"],
];

for (const [label, headers, verdict] of MALFORMED) {
  Deno.test(`standardScheme refuses ${label}: ${verdict}`, () => {
    assert.deepEqual(verify(headers), { ok: false, reason: verdict });
  });
}

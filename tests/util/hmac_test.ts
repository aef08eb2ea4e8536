import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { importHmacKey, matchingSignature, utf8 } from "../../lib/util/mod.ts";

const SECRET = "hmac-test-secret-0123456789";
const DATA = utf8('1700000000.{"id":"e1"}');

function independentMac(secret = SECRET, data = DATA): Uint8Array {
  return new Uint8Array(createHmac("sha256", secret).update(data).digest());
}

Deno.test("matchingSignature() accepts a MAC computed independently with node:crypto", async () => {
  const key = await importHmacKey(utf8(SECRET));
  assert.equal(await matchingSignature([key], [independentMac()], DATA), true);
});

Deno.test("matchingSignature() refuses a MAC with one bit flipped, in every position", async () => {
  const key = await importHmacKey(utf8(SECRET));
  const mac = independentMac();
  for (let bit = 0; bit < mac.length * 8; bit++) {
    const changed = mac.slice();
    changed[bit >> 3] = (changed[bit >> 3] as number) ^ (1 << (bit & 7));
    assert.equal(await matchingSignature([key], [changed], DATA), false, `bit ${bit}`);
  }
});

Deno.test("matchingSignature() refuses a truncated or extended MAC without throwing", async () => {
  const key = await importHmacKey(utf8(SECRET));
  const mac = independentMac();
  assert.equal(await matchingSignature([key], [mac.subarray(0, 31)], DATA), false);
  assert.equal(await matchingSignature([key], [new Uint8Array([...mac, 0])], DATA), false);
  assert.equal(await matchingSignature([key], [new Uint8Array(0)], DATA), false);
});

Deno.test("matchingSignature() finds the match among several keys and candidates", async () => {
  const other = await importHmacKey(utf8("another-secret-0123456789"));
  const key = await importHmacKey(utf8(SECRET));
  const wrong = independentMac("a-third-secret-0123456789");
  assert.equal(await matchingSignature([other, key], [wrong, independentMac()], DATA), true);
  assert.equal(await matchingSignature([other], [wrong, independentMac()], DATA), false);
});

Deno.test("matchingSignature() still verifies a key imported without importHmacKey()", async () => {
  const foreign = await crypto.subtle.importKey(
    "raw",
    utf8(SECRET) as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  assert.equal(await matchingSignature([foreign], [independentMac()], DATA), true);
  assert.equal(
    await matchingSignature([foreign], [independentMac("x-secret-0123456789")], DATA),
    false,
  );
});

import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { fromHex, toHex, utf8 } from "../lib/encoding.ts";
import { hmacSha256Bytes, prepareHmacKey, sha256, timingSafeEqualBytes } from "../lib/sha256.ts";

function hex(bytes: Uint8Array): string {
  return toHex(bytes);
}

function bytesOf(raw: string): Uint8Array {
  const bytes = fromHex(raw);
  if (bytes === null) throw new Error(`bad hex ${raw}`);
  return bytes;
}

/** Deterministic pseudo-random bytes, so a failure names a reproducible input. */
function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

Deno.test("sha256() matches the FIPS 180-2 examples", () => {
  assert.equal(
    hex(sha256(utf8("abc"))),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    hex(sha256(utf8(""))),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assert.equal(
    hex(sha256(utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
});

Deno.test("sha256() matches node:crypto for every length from 0 to 300 bytes and 1 MiB", () => {
  for (let length = 0; length <= 300; length++) {
    const data = bytes(length, length + 1);
    assert.equal(
      hex(sha256(data)),
      createHash("sha256").update(data).digest("hex"),
      `length ${length}`,
    );
  }
  const large = bytes(1024 * 1024 + 3, 7);
  assert.equal(hex(sha256(large)), createHash("sha256").update(large).digest("hex"));
});

Deno.test("hmacSha256Bytes() matches the RFC 4231 test cases 1, 2, 4, 6 and 7", () => {
  const cases: [Uint8Array, Uint8Array, string][] = [
    [
      new Uint8Array(20).fill(0x0b),
      utf8("Hi There"),
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    ],
    [
      utf8("Jefe"),
      utf8("what do ya want for nothing?"),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ],
    [
      bytesOf("0102030405060708090a0b0c0d0e0f10111213141516171819"),
      new Uint8Array(50).fill(0xcd),
      "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
    ],
    [
      new Uint8Array(131).fill(0xaa),
      utf8("Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ],
    [
      new Uint8Array(131).fill(0xaa),
      utf8(
        "This is a test using a larger than block-size key and a larger than block-size data. " +
          "The key needs to be hashed before being used by the HMAC algorithm.",
      ),
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ],
  ];
  for (const [key, data, expected] of cases) {
    assert.equal(hex(hmacSha256Bytes(prepareHmacKey(key), data)), expected);
  }
});

Deno.test("hmacSha256Bytes() matches node:crypto for keys of 0 to 130 bytes and bodies of 0 to 200", () => {
  for (let keyLength = 0; keyLength <= 130; keyLength += 13) {
    const key = bytes(keyLength, 1000 + keyLength);
    const prepared = prepareHmacKey(key);
    for (let length = 0; length <= 200; length++) {
      const data = bytes(length, length * 31 + keyLength);
      assert.equal(
        hex(hmacSha256Bytes(prepared, data)),
        createHmac("sha256", key).update(data).digest("hex"),
        `key ${keyLength} bytes, data ${length} bytes`,
      );
    }
  }
});

Deno.test("timingSafeEqualBytes() is true only for the same bytes of the same length", () => {
  const a = bytes(32, 1);
  assert.equal(timingSafeEqualBytes(a, a.slice()), true);
  for (let i = 0; i < 32; i++) {
    const b = a.slice();
    b[i] = (b[i] as number) ^ 0x80;
    assert.equal(timingSafeEqualBytes(a, b), false, `byte ${i}`);
  }
  assert.equal(timingSafeEqualBytes(a, a.subarray(0, 31)), false);
  assert.equal(timingSafeEqualBytes(new Uint8Array(0), new Uint8Array(0)), true);
});

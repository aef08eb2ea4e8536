import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import {
  fromHex,
  hmacSha256,
  importHmacKey,
  matchingSignature,
  sameBytes,
  toHex,
  utf8,
  verifyHmacSha256,
} from "../../lib/util/mod.ts";

const SECRET = "hmac-test-secret-0123456789";
const DATA = utf8('1700000000.{"id":"e1"}');

function independentMac(secret: string | Uint8Array = SECRET, data = DATA): Uint8Array {
  return new Uint8Array(createHmac("sha256", secret).update(data).digest());
}

async function webCryptoMac(secret: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "raw",
    secret as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, data as Uint8Array<ArrayBuffer>));
}

Deno.test("hmacSha256() gives RFC 4231's HMAC-SHA256 test vectors", () => {
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
      new Uint8Array(20).fill(0xaa),
      new Uint8Array(50).fill(0xdd),
      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
    ],
    [
      // A key longer than SHA-256's block is hashed first.
      new Uint8Array(131).fill(0xaa),
      utf8("Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ],
  ];
  for (const [key, data, expected] of cases) {
    assert.equal(toHex(hmacSha256(importHmacKey(key), data)), expected);
  }
});

Deno.test("hmacSha256() agrees with WebCrypto and node:crypto for every key length around the block", async () => {
  const data = utf8("1700000000." + JSON.stringify({ id: "e", body: "x".repeat(300) }));
  for (let length = 1; length <= 140; length++) {
    const secret = crypto.getRandomValues(new Uint8Array(length));
    const mac = hmacSha256(importHmacKey(secret), data);
    assert.equal(toHex(mac), toHex(await webCryptoMac(secret, data)), `key of ${length} bytes`);
    assert.equal(toHex(mac), toHex(independentMac(secret, data)), `key of ${length} bytes`);
  }
});

Deno.test("a key gives the same MAC however often it is used, and reads a view's bytes only", () => {
  const key = importHmacKey(utf8(SECRET));
  const expected = toHex(independentMac());
  for (let i = 0; i < 3; i++) assert.equal(toHex(hmacSha256(key, DATA)), expected);
  // The data as a window into a larger buffer: only the window is hashed.
  const framed = new Uint8Array(DATA.length + 20).fill(0x41);
  framed.set(DATA, 10);
  assert.equal(toHex(hmacSha256(key, framed.subarray(10, 10 + DATA.length))), expected);
  assert.equal(toHex(hmacSha256(key, new Uint8Array(0))), toHex(independentMac(SECRET, utf8(""))));
});

Deno.test("an empty key is refused, and a key prints no secret", () => {
  assert.throws(() => importHmacKey(new Uint8Array(0)), /must not be empty/);
  const key = importHmacKey(utf8(SECRET));
  assert.equal(JSON.stringify({ key }), '{"key":"[HmacKey]"}');
});

Deno.test("matchingSignature() accepts a MAC computed independently with node:crypto", () => {
  const key = importHmacKey(utf8(SECRET));
  assert.equal(matchingSignature([key], [independentMac()], DATA), true);
  assert.equal(verifyHmacSha256(key, independentMac(), DATA), true);
});

Deno.test("matchingSignature() refuses a MAC with one bit flipped, in every position", () => {
  const key = importHmacKey(utf8(SECRET));
  const mac = independentMac();
  for (let bit = 0; bit < mac.length * 8; bit++) {
    const changed = mac.slice();
    changed[bit >> 3] = (changed[bit >> 3] as number) ^ (1 << (bit & 7));
    assert.equal(matchingSignature([key], [changed], DATA), false, `bit ${bit}`);
  }
});

Deno.test("matchingSignature() refuses a truncated or extended MAC without throwing", () => {
  const key = importHmacKey(utf8(SECRET));
  const mac = independentMac();
  assert.equal(matchingSignature([key], [mac.subarray(0, 31)], DATA), false);
  assert.equal(matchingSignature([key], [new Uint8Array([...mac, 0])], DATA), false);
  assert.equal(matchingSignature([key], [new Uint8Array(0)], DATA), false);
  assert.equal(matchingSignature([key], [], DATA), false);
  assert.equal(matchingSignature([], [mac], DATA), false);
});

Deno.test("matchingSignature() finds the match among several keys and candidates", () => {
  const other = importHmacKey(utf8("another-secret-0123456789"));
  const key = importHmacKey(utf8(SECRET));
  const wrong = independentMac("a-third-secret-0123456789");
  assert.equal(matchingSignature([other, key], [wrong, independentMac()], DATA), true);
  assert.equal(matchingSignature([key, other], [independentMac(), wrong], DATA), true);
  assert.equal(matchingSignature([other], [wrong, independentMac()], DATA), false);
  assert.equal(matchingSignature([other, key], [wrong, new Uint8Array(3)], DATA), false);
});

Deno.test("matchingSignature() checks a candidate that is a window into a larger buffer", () => {
  const key = importHmacKey(utf8(SECRET));
  const framed = new Uint8Array(64);
  framed.set(independentMac(), 16);
  assert.equal(matchingSignature([key], [framed.subarray(16, 48)], DATA), true);
  assert.equal(matchingSignature([key], [framed.subarray(15, 47)], DATA), false);
});

Deno.test("sameBytes() compares lengths and every byte", () => {
  assert.equal(sameBytes(fromHex("00ff10")!, fromHex("00ff10")!), true);
  assert.equal(sameBytes(fromHex("00ff10")!, fromHex("00ff11")!), false);
  assert.equal(sameBytes(fromHex("00ff10")!, fromHex("10ff10")!), false);
  assert.equal(sameBytes(fromHex("00ff")!, fromHex("00ff10")!), false);
  assert.equal(sameBytes(new Uint8Array(0), new Uint8Array(0)), true);
});

Deno.test("a runtime whose Hash.copy() starts afresh is refused before any key is prepared", async () => {
  // Were copy() to forget the key's pads, every MAC would be a keyless hash anyone can
  // compute: the known-answer check must stop the first key, in a fresh process.
  const script = `
    import { createHash } from "node:crypto";
    const proto = Object.getPrototypeOf(createHash("sha256"));
    proto.copy = function () { return createHash("sha256"); };
    const { importHmacKey } = await import(${
    JSON.stringify(new URL("../../lib/util/mod.ts", import.meta.url).href)
  });
    try {
      importHmacKey(new TextEncoder().encode("a-secret-of-enough-length-0123"));
      console.log("prepared");
    } catch (error) {
      console.log(String(error));
    }
  `;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.match(stdout, /fails HMAC-SHA256's known-answer test/);
  assert.doesNotMatch(stdout, /prepared/);
});

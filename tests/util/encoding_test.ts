import assert from "node:assert/strict";
import {
  concatBytes,
  decodeUtf8,
  fromHex,
  prefixedBytes,
  toHex,
  utf8,
} from "../../lib/util/mod.ts";

Deno.test("fromHex() decodes canonical lowercase hex, and toHex() gives it back", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const hex = toHex(all);
  assert.deepEqual(fromHex(hex), all);
  assert.deepEqual(fromHex(""), new Uint8Array(0));
  assert.deepEqual(fromHex("00ff7a"), Uint8Array.from([0, 255, 122]));
});

Deno.test("fromHex() refuses anything that is not canonical lowercase hex", () => {
  for (
    const bad of [
      "0", // odd length
      "abc",
      "AB", // uppercase is not the canonical form signatures use
      "0g",
      "g0",
      "0x00",
      " 00",
      "00 ",
      "00\n", // a line end after the digits
      "\n00",
      "0:",
      "/0", // the characters either side of the digit ranges
      "`0",
      "0-",
      "zz",
      "\u0660\u0661", // Arabic-Indic digits
    ]
  ) {
    assert.equal(fromHex(bad), null, JSON.stringify(bad));
  }
});

Deno.test("prefixedBytes() is the UTF-8 prefix and then the body, for any prefix", () => {
  const body = utf8('{"id":"evt_1","note":"é"}');
  for (const prefix of ["1700000000.", "msg_2Lh9.1700000000.", "ünï.1700000000.", "🦕.", ""]) {
    assert.deepEqual(prefixedBytes(prefix, body), concatBytes(utf8(prefix), body));
  }
  assert.deepEqual(prefixedBytes("1.", new Uint8Array(0)), utf8("1."));
});

Deno.test("decodeUtf8() reads as a strict TextDecoder does, ASCII or not, short or long", () => {
  const strict = new TextDecoder("utf-8", { fatal: true });
  const texts = [
    '{"id":"evt_1"}',
    '{"id":"é🦕"}',
    "\ufeff{}",
    "",
    "x".repeat(5000),
    "é".repeat(3000),
  ];
  for (const text of texts) {
    const bytes = utf8(text);
    assert.equal(decodeUtf8(bytes), strict.decode(bytes));
  }
  for (const bad of [[0x7b, 0xff, 0x7d], [0xc3], [0xed, 0xa0, 0x80]]) {
    assert.throws(() => decodeUtf8(new Uint8Array(bad)), TypeError);
  }
});

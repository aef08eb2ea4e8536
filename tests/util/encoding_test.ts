import assert from "node:assert/strict";
import { fromHex, toHex } from "../../lib/util/mod.ts";

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

import assert from "node:assert/strict";
import { escapeJsonControls, jsonLine, printable } from "../../lib/cli/printable.ts";

/** Right-to-left override, isolate, pop, marks: each reorders what follows in a bidi terminal. */
const BIDI = ["\u202e", "\u202a", "\u2066", "\u2069", "\u200f", "\u200e", "\u061c"];

Deno.test("printable() spells out C0, DEL and C1 controls and keeps a tab", () => {
  assert.equal(printable("a\nb\r\x1b[2J\x7f\u009b\tc"), "a\\nb\\r\\x1b[2J\\x7f\\x9b\tc");
});

Deno.test("printable() spells out the bidirectional controls, so a line cannot be reordered", () => {
  for (const control of BIDI) {
    const shown = printable(`/webhook${control}detpecca 002`);
    assert.ok(!shown.includes(control), JSON.stringify(shown));
    const code = control.charCodeAt(0).toString(16).padStart(4, "0");
    assert.equal(shown, `/webhook\\u${code}detpecca 002`);
  }
  // Letters of right-to-left scripts are text, not controls: they stay.
  assert.equal(printable("שלום مرحبا"), "שלום مرحبا");
});

Deno.test("jsonLine() escapes DEL, C1 and bidirectional controls, and parses back unchanged", () => {
  const value = { title: `x\u009b2J\x7f${BIDI.join("")}y`, n: 1 };
  const line = jsonLine(value);
  for (const control of ["\u009b", "\x7f", ...BIDI]) assert.ok(!line.includes(control));
  assert.deepEqual(JSON.parse(line), value);
  assert.equal(escapeJsonControls('"\u202e"'), '"\\u202e"');
});

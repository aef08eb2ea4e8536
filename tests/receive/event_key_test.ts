import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { eventKey } from "../../lib/receive/mod.ts";
import { utf8 } from "../../lib/util/mod.ts";

const SIGNED = utf8('1700000000.{"event":"push"}');
const noHeader = { headerId: null, signedContent: SIGNED };

Deno.test("eventKey() keys a string id as id:<id>", () => {
  assert.deepEqual(eventKey({ id: "e42" }, noHeader), {
    ok: true,
    value: { key: "id:e42", id: "e42" },
  });
});

Deno.test("eventKey() accepts an integer id", () => {
  assert.deepEqual(eventKey({ id: 42 }, noHeader), {
    ok: true,
    value: { key: "id:42", id: "42" },
  });
});

Deno.test("eventKey() accepts an id of exactly 256 bytes", () => {
  const result = eventKey({ id: "é".repeat(128) }, noHeader);
  assert.equal(result.ok, true);
});

for (
  const [name, id] of [
    ["an empty string", ""],
    ["a 257-byte string", "é".repeat(128) + "x"],
    ["a 300-byte string", "x".repeat(300)],
    ["an object", { nested: 1 }],
    ["a float", 1.5],
    ["an unsafe integer", 2 ** 60],
    ["a boolean", true],
    ["null", null],
    ["an array", ["e1"]],
  ] as const
) {
  Deno.test(`eventKey() rejects ${name} as id`, () => {
    const result = eventKey({ id }, noHeader);
    assert.equal(result.ok, false);
  });
}

Deno.test("eventKey() keys an id-less payload by the SHA-256 of the signed content", () => {
  const expected = createHash("sha256").update(SIGNED).digest("hex");
  assert.deepEqual(eventKey({ event: "push" }, noHeader), {
    ok: true,
    value: { key: `sha256:${expected}`, id: null },
  });
});

Deno.test("eventKey() gives a different digest when the timestamp differs", () => {
  const a = eventKey({}, noHeader);
  const b = eventKey({}, {
    headerId: null,
    signedContent: utf8('1700000001.{"event":"push"}'),
  });
  assert.ok(a.ok && b.ok);
  assert.notEqual(a.value.key, b.value.key);
});

Deno.test("eventKey() prefers a header id over the body's id", () => {
  assert.deepEqual(eventKey({ id: "body" }, { headerId: "msg_1", signedContent: SIGNED }), {
    ok: true,
    value: { key: "id:msg_1", id: "msg_1" },
  });
});

Deno.test("eventKey() rejects an empty header id", () => {
  const result = eventKey({}, { headerId: "", signedContent: SIGNED });
  assert.equal(result.ok, false);
});

Deno.test("eventKey() keys an id-less payload by the native SHA-256 of the signed content", () => {
  const expected = createHash("sha256").update(SIGNED).digest("hex");
  assert.deepEqual(eventKey({ event: "push" }, noHeader), {
    ok: true,
    value: { key: `sha256:${expected}`, id: null },
  });
});

import assert from "node:assert/strict";
import { ensurePayloadId, isValidEventId, newEventId } from "../../lib/send/mod.ts";

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function added(payload: Uint8Array, options = {}) {
  const result = ensurePayloadId(payload, options);
  if (!result.ok) throw new Error(`expected ok, got: ${result.reason}`);
  return result.value;
}

/** Removes the inserted member (and its comma) so the rest can be compared byte for byte. */
function withoutInserted(bytes: Uint8Array, id: string): Uint8Array {
  const member = encode(`"id":${JSON.stringify(id)}`);
  for (let at = 0; at + member.length <= bytes.length; at++) {
    if (member.every((byte, i) => bytes[at + i] === byte)) {
      const end = at + member.length + (bytes[at + member.length] === 0x2c ? 1 : 0);
      return new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(end)]);
    }
  }
  throw new Error("inserted member not found");
}

Deno.test("ensurePayloadId() adds an id without changing any other byte", () => {
  const original = encode('{\r\n  "event" :"push",\t"note":"héllo ✓ 😀" , "n": 1.50e3 }\r\n');
  const result = added(original);
  assert.equal(result.added, true);
  assert.deepEqual(withoutInserted(result.bytes, result.id), original);
});

Deno.test("ensurePayloadId() inserts the id as the first member, after the brace's whitespace", () => {
  const result = added(encode('  {\n  "event":"push"}'));
  assert.equal(decode(result.bytes), `  {\n  "id":"${result.id}","event":"push"}`);
  assert.equal(Object.keys(JSON.parse(decode(result.bytes)))[0], "id");
});

Deno.test("ensurePayloadId() adds no comma to an empty object", () => {
  const result = added(encode("{ }"));
  assert.equal(decode(result.bytes), `{ "id":"${result.id}"}`);
  assert.deepEqual(JSON.parse(decode(result.bytes)), { id: result.id });
});

Deno.test("ensurePayloadId() keeps an existing id and the exact bytes", () => {
  const original = encode('{"event":"push", "id" : "e42"}');
  const result = added(original);
  assert.equal(result.added, false);
  assert.equal(result.id, "e42");
  assert.equal(result.bytes, original);
});

Deno.test("ensurePayloadId() reads a whole-number id as its digits", () => {
  assert.equal(added(encode('{"id": 42}')).id, "42");
});

Deno.test("ensurePayloadId() inserts an explicit id when the payload has none", () => {
  const result = added(encode('{"event":"push"}'), { id: "order-7" });
  assert.equal(decode(result.bytes), '{"id":"order-7","event":"push"}');
});

Deno.test("ensurePayloadId() accepts an explicit id equal to the payload's", () => {
  const result = added(encode('{"id":"e42"}'), { id: "e42" });
  assert.equal(result.added, false);
});

Deno.test("ensurePayloadId() refuses an explicit id that differs from the payload's", () => {
  const result = ensurePayloadId(encode('{"id":"e42"}'), { id: "e43" });
  assert.equal(result.ok, false);
  assert.match(result.ok ? "" : result.reason, /--id 'e43' differs from the payload's "id" 'e42'/);
});

Deno.test("ensurePayloadId() refuses an explicit id with a control character", () => {
  assert.equal(ensurePayloadId(encode("{}"), { id: "a\nb" }).ok, false);
});

Deno.test("ensurePayloadId() JSON-escapes an explicit id containing a quote", () => {
  const quoted = added(encode("{}"), { id: 'a"b' });
  assert.deepEqual(JSON.parse(decode(quoted.bytes)), { id: 'a"b' });
});

for (
  const [name, text, reason] of [
    ["an array", "[1,2]", /must be a JSON object \(\{\.\.\.\}\), got an array/],
    ["a string", '"hi"', /got a string/],
    ["null", "null", /got null/],
    ["invalid JSON", "{nope}", /not valid JSON/],
    ["empty input", " \n", /payload is empty/],
    ["a byte-order mark", "\uFEFF{}", /not valid JSON/],
  ] as const
) {
  Deno.test(`ensurePayloadId() refuses ${name}`, () => {
    const result = ensurePayloadId(encode(text));
    assert.equal(result.ok, false);
    assert.match(result.ok ? "" : result.reason, reason);
  });
}

Deno.test("ensurePayloadId() refuses bytes that are not UTF-8", () => {
  const result = ensurePayloadId(new Uint8Array([0x7b, 0xff, 0x7d]));
  assert.match(result.ok ? "" : result.reason, /not valid UTF-8/);
});

Deno.test("ensurePayloadId() refuses an id that is not a usable string or number", () => {
  for (const id of ['""', "null", "true", "1.5", '{"a":1}', '"line\\nbreak"']) {
    const result = ensurePayloadId(encode(`{"id":${id}}`));
    assert.equal(result.ok, false, `id ${id}`);
  }
});

Deno.test("newEventId() is evt_ and 24 base32 characters drawn from the random bytes", () => {
  assert.equal(newEventId(() => new Uint8Array(15)), "evt_" + "a".repeat(24));
  assert.equal(newEventId(() => new Uint8Array(15).fill(0xff)), "evt_" + "7".repeat(24));
  assert.match(newEventId(), /^evt_[a-z2-7]{24}$/);
  assert.notEqual(newEventId(), newEventId());
});

Deno.test("isValidEventId() takes printable ASCII without edge spaces, up to 255", () => {
  assert.equal(isValidEventId("evt_abc"), true);
  assert.equal(isValidEventId("x".repeat(255)), true);
  assert.equal(isValidEventId("x".repeat(256)), false);
  assert.equal(isValidEventId(" x"), false);
  assert.equal(isValidEventId("é"), false);
  assert.equal(isValidEventId(""), false);
});

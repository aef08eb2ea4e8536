import assert from "node:assert/strict";
import {
  createRedactor,
  CUT_MARK,
  redactBytesThenTruncate,
  REDACTED,
  redactThenTruncate,
} from "../../lib/redact/mod.ts";
import { survivingFragments } from "../support/secret_fragments.ts";

const SECRET = "s3cr3t-" + "0123456789abcdefghijklmnopqrstu"; // 37 characters
const redactor = createRedactor({ secrets: [SECRET] });

Deno.test("redactThenTruncate() leaves no 8-character piece of a known secret at any cut", () => {
  const text = `status ok, key ${SECRET} and more text after it`;
  for (let maxChars = 0; maxChars <= text.length; maxChars++) {
    const { text: out } = redactThenTruncate(redactor, text, { maxChars });
    assert.deepEqual(survivingFragments(out, SECRET), [], `maxChars ${maxChars}: ${out}`);
    assert.ok(out.length <= maxChars, `maxChars ${maxChars}: ${out.length} characters`);
  }
});

Deno.test("redactThenTruncate() never cuts a marker in two", () => {
  const text = `a ${SECRET} b`;
  for (let maxChars = 0; maxChars <= text.length; maxChars++) {
    const { text: out } = redactThenTruncate(redactor, text, { maxChars });
    assert.ok(!out.replaceAll(REDACTED, "").includes("*"), `maxChars ${maxChars}: ${out}`);
  }
});

Deno.test("redactThenTruncate() removes a piece of a secret where the input was already cut", () => {
  const text = `prefix ${SECRET}`;
  for (let end = "prefix ".length; end < text.length; end++) {
    const { text: out, truncated } = redactThenTruncate(redactor, text.slice(0, end), {
      inputWasCut: true,
    });
    assert.equal(truncated, true);
    assert.deepEqual(survivingFragments(out, SECRET, 4), [], `cut at ${end}: ${out}`);
    assert.ok(out.startsWith("prefix"), out);
  }
});

Deno.test("redactThenTruncate() removes a URL password cut off before its @", () => {
  const { text } = redactThenTruncate(redactor, "see https://deploy:hunter2hun", {
    inputWasCut: true,
  });
  assert.equal(text, `see https://deploy:${REDACTED}`);
});

Deno.test("redactThenTruncate() keeps text whole when it fits, and marks a cut when asked", () => {
  assert.deepEqual(redactThenTruncate(redactor, "short", { maxChars: 10, mark: CUT_MARK }), {
    text: "short",
    truncated: false,
  });
  assert.deepEqual(
    redactThenTruncate(redactor, "0123456789abc", { maxChars: 10, mark: CUT_MARK }),
    {
      text: `0123456789${CUT_MARK}`,
      truncated: true,
    },
  );
});

Deno.test("redactBytesThenTruncate() drops a character split by a byte cap instead of mangling it", () => {
  const bytes = new TextEncoder().encode(`é ${SECRET.slice(0, 20)}`);
  const { text } = redactBytesThenTruncate(redactor, bytes.subarray(0, bytes.length), {
    inputWasCut: true,
  });
  assert.equal(text, `é ${REDACTED}`);
  const split = redactBytesThenTruncate(redactor, new TextEncoder().encode("ab€").subarray(0, 4), {
    inputWasCut: true,
  });
  assert.equal(split.text, "ab");
});

Deno.test("a redactor removes a piece of a known secret left just before a cut mark", () => {
  const quoted = `url 'https://x.example.com/?q=${SECRET.slice(0, 20)}${CUT_MARK}' is not usable`;
  const out = redactor.text(quoted);
  assert.deepEqual(survivingFragments(out, SECRET, 4), [], out);
  assert.equal(out, `url 'https://x.example.com/?q=${REDACTED}${CUT_MARK}' is not usable`);
  assert.equal(redactor.text(`an ellipsis${CUT_MARK} in prose`), `an ellipsis${CUT_MARK} in prose`);
});

Deno.test("a vendor's fixed prefix before a cut mark is not a piece of a secret", () => {
  const standard = createRedactor({ secrets: ["whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2La"] });
  const text = `paste the whsec_${CUT_MARK} value into .env`;
  assert.equal(standard.text(text), text);
  assert.equal(
    standard.text(`paste the whsec_MfK${CUT_MARK} value`),
    `paste the ${REDACTED}${CUT_MARK} value`,
  );
});

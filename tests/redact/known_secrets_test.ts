import assert from "node:assert/strict";
import { toHex } from "../../lib/util/mod.ts";
import { createRedactor, REDACTED, secretValuesFromEnv } from "../../lib/redact/mod.ts";
import { survivingFragments } from "../support/secret_fragments.ts";

const SECRET = "k3y/With+Odd=Chars_" + "0123456789abcdef"; // 35 characters
const redactor = createRedactor({ secrets: [SECRET] });
const bytes = new TextEncoder().encode(SECRET);
const base64 = btoa(SECRET);
const base64Url = base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

const ENCODINGS: [string, string][] = [
  ["base64", base64],
  ["base64 without padding", base64.replace(/=+$/, "")],
  ["base64url", base64Url],
  ["lower-case hex", toHex(bytes)],
  ["upper-case hex", toHex(bytes).toUpperCase()],
  ["URL-encoded", encodeURIComponent(SECRET)],
  [
    "URL-encoded in lower-case hex",
    encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
  ],
  ["JSON-escaped", JSON.stringify(SECRET).slice(1, -1)],
];

for (const [name, encoded] of ENCODINGS) {
  Deno.test(`a known secret is removed in its ${name} form`, () => {
    const out = redactor.text(`log: got ${encoded} from the agent`);
    assert.equal(out, `log: got ${REDACTED} from the agent`);
  });
}

Deno.test("a known secret is removed inside longer base64 text, at any byte offset", () => {
  for (const user of ["u", "us", "usr", "user"]) {
    for (const encode of [btoa, (s: string) => btoa(s).replace(/\+/g, "-").replace(/\//g, "_")]) {
      const basic = encode(`${user}:${SECRET}`);
      const out = redactor.text(`note ${basic} end`);
      // Only the few characters that mix the user's bytes or the padding with the secret's stay.
      const left = out.replace("note ", "").replace(" end", "").replace(REDACTED, "");
      assert.ok(out.includes(REDACTED) && left.length <= 12, `${user}: ${out}`);
    }
  }
});

Deno.test("a secret of digits only is removed like any other secret", () => {
  const digits = "31415926535897932384";
  const r = createRedactor({ secrets: secretValuesFromEnv({ WEBHOOK_SECRET: digits }) });
  const out = r.text(`{"n":${digits},"s":"${digits}","b64":"${btoa(digits)}"}`);
  assert.deepEqual(survivingFragments(out, digits), [], out);
  assert.equal(r.text("bytes 1024, time 1764525600"), "bytes 1024, time 1764525600");
});

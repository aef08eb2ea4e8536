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

/** `text` as `base64 -w WIDTH` or `xxd -p` print it: lines of `width` characters. */
function wrapped(text: string, width: number, newline = "\n"): string {
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += width) lines.push(text.slice(i, i + width));
  return lines.join(newline) + newline;
}

/** Whether any whole form of the secret is left once the line breaks are gone. */
function secretLeftWhenJoined(out: string): boolean {
  const joined = out.replace(/\r?\n/g, "");
  return redactor.text(joined) !== joined;
}

Deno.test("a known secret is removed from base64 wrapped over lines, at any width and offset", () => {
  // `base64 .env` (76 columns), `base64 -w 20`, PEM-like 64 columns: the secret's
  // characters fall across a line break wherever the lines happen to end.
  for (const width of [76, 64, 20, 7]) {
    for (let pad = 0; pad < 80; pad += 3) {
      const file = `${"#".repeat(pad)}\nWEBHOOK_SECRET=${SECRET}\nOTHER=1\n`;
      const out = redactor.text(wrapped(btoa(file), width));
      assert.ok(out.includes(REDACTED), `width ${width}, pad ${pad}: ${out}`);
      assert.equal(secretLeftWhenJoined(out), false, `width ${width}, pad ${pad}: ${out}`);
    }
  }
});

Deno.test("a known secret is removed from hex wrapped over lines as xxd -p prints it", () => {
  for (const pad of [0, 1, 7, 29]) {
    const hex = toHex(new TextEncoder().encode(`${"x".repeat(pad)}${SECRET}\n`));
    for (const newline of ["\n", "\r\n"]) {
      const out = redactor.text(wrapped(hex, 60, newline));
      assert.ok(out.includes(REDACTED), `pad ${pad}: ${out}`);
      assert.equal(secretLeftWhenJoined(out), false, `pad ${pad}: ${out}`);
    }
  }
});

Deno.test("a wrapped form is removed and the lines around it are kept", () => {
  const token = "wrapTokenValue0123456789";
  const r = createRedactor({ secrets: [token] });
  const out = r.text(`before\n${token.slice(0, 10)}\r\n${token.slice(10)}\nafter line\n`);
  assert.equal(out, `before\n${REDACTED}\nafter line\n`);
  assert.equal(r.text("plain\nlines of\nprose\n"), "plain\nlines of\nprose\n");
});

Deno.test("a known secret with !'()*~ or a space is removed as every URL and form encoder writes it", () => {
  const secret = "Pa55!word(2024)~x*y'z q-0123";
  const strict = (s: string) =>
    encodeURIComponent(s).replace(
      /[!'()*]/g,
      (c) => "%" + toHex(new Uint8Array([c.charCodeAt(0)])),
    );
  const lower = (s: string) => s.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase());
  const forms = {
    "URLSearchParams (application/x-www-form-urlencoded)": new URLSearchParams({ a: secret })
      .toString().slice(2),
    "a form with %20 for a space (JavaScript's escape)": new URLSearchParams({ a: secret })
      .toString().slice(2).replace(/\+/g, "%20"),
    "RFC 3986 (Python's quote)": strict(secret),
    "RFC 3986 with + for a space (Python's quote_plus)": strict(secret).replace(/%20/g, "+"),
  };
  const secretRedactor = createRedactor({ secrets: [secret] });
  for (const [name, encoded] of Object.entries(forms)) {
    for (const form of [encoded, lower(encoded)]) {
      const out = secretRedactor.text(`callback https://example.com/?q=${form}&page=2 end`);
      assert.equal(
        out,
        `callback https://example.com/?q=${REDACTED}&page=2 end`,
        `${name}: ${form}`,
      );
    }
  }
});

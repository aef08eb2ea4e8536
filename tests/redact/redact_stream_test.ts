import assert from "node:assert/strict";
import {
  createLineRedactor,
  createRedactor,
  createRedactStream,
  REDACTED,
  redactText,
} from "../../lib/redact/mod.ts";
import { MUST_DISAPPEAR, MUST_SURVIVE } from "../support/redaction_table.ts";

const SECRET = "stream-canary-0123456789abcdef";
const redactor = createRedactor({ secrets: [SECRET] });
const TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0".repeat(2).slice(0, 36);
const PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA0001\nBODYLINE0002\n" +
  "-----END RSA PRIVATE KEY-----";

const SAMPLES = [
  `Authorization: Bearer abc123def456ghi789\nok\n`,
  `line one\n${PEM}\nafter the key\n`,
  `x ${PEM} y ${PEM}\r\nz\n`,
  `{"password":"pw-1","n":1}\n{"url":"https://u:pw-2pw-2@h/?token=t1"}\n`,
  `secret ${SECRET} again ${SECRET}\n${TOKEN}`,
  `no newline at the end, cut-off key:\n-----BEGIN PRIVATE KEY-----\nAAAA\nBBBB`,
  `"${PEM.replaceAll("\n", "\\n")}" tail "x"\n`,
  "crlf\r\nCookie: a=b; c=d\r\n\r\n",
];

Deno.test("the stream gives the same text as redactor.text() at every chunk size", () => {
  for (const sample of SAMPLES) {
    const whole = redactor.text(sample);
    for (const chunkChars of [1, 2, 3, 7, 16, 64, 1 << 16]) {
      assert.equal(redactText(redactor, sample, { chunkChars }), whole, `chunks of ${chunkChars}`);
    }
  }
});

Deno.test("the stream agrees with redactor.text() on every row of the redaction table", () => {
  // A private key cut off by its row's end swallows what follows: such rows go last.
  const cutOff = (input: string) => input.includes("-----BEGIN") && !input.includes("-----END");
  const rows = [...MUST_DISAPPEAR, ...MUST_SURVIVE].sort((a, b) =>
    Number(cutOff(a.input)) - Number(cutOff(b.input))
  );
  // One document of all rows, so state (private keys, partial lines) crosses rows too.
  const document = rows.map((row) => row.input).join("\n") + "\n";
  const whole = redactor.text(document);
  for (const chunkChars of [1, 5, 13, 4096]) {
    assert.equal(redactText(redactor, document, { chunkChars }), whole, `chunks of ${chunkChars}`);
  }
  for (const row of MUST_DISAPPEAR) {
    const out = redactText(redactor, row.input, { chunkChars: 3 });
    for (const gone of row.gone) assert.ok(!out.includes(gone), `${row.name}: ${gone}`);
  }
});

Deno.test("the stream removes a private key that spans lines and chunks, keeping what follows", () => {
  const out = redactText(redactor, `before\n${PEM}\nafter\n`, { chunkChars: 5 });
  assert.ok(!out.includes("MIIEpAIBAAKCAQEA0001") && !out.includes("BODYLINE0002"));
  assert.equal(out, `before\n${REDACTED}\nafter\n`);
});

Deno.test("the stream removes a private key cut off by the end of input", () => {
  const out = redactText(redactor, `a\n-----BEGIN PRIVATE KEY-----\nLINE1\nLINE2`, {
    chunkChars: 4,
  });
  assert.equal(out, `a\n${REDACTED}`);
});

Deno.test("the stream keeps CRLF line endings and blank lines", () => {
  const input = "one\r\n\r\ntwo\r\n";
  assert.equal(redactText(redactor, input, { chunkChars: 1 }), input);
});

function longLine(count: number): { line: string; secrets: string[] } {
  const secrets: string[] = [];
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const value = `v${i.toString(36).padStart(6, "0")}x`;
    secrets.push(value);
    const shape = i % 4;
    if (shape === 0) parts.push(`word${i} password=${value}`);
    else if (shape === 1) parts.push(`"api_key": "${value}"`);
    else if (shape === 2) parts.push(`${SECRET}`);
    else parts.push(`Authorization: Bearer ${value}1234`);
    parts.push("filler ".repeat(i % 97));
  }
  return { line: parts.join(" "), secrets };
}

Deno.test("a line longer than maxLineChars is flushed in pieces with every credential removed", () => {
  const { line, secrets } = longLine(3000);
  const lines = createLineRedactor(redactor, { maxLineChars: 8192 });
  let out = "";
  let maxBuffered = 0;
  for (let i = 0; i < line.length; i += 1000) {
    out += lines.push(line.slice(i, i + 1000));
    maxBuffered = Math.max(maxBuffered, lines.bufferedChars);
  }
  out += lines.end();
  assert.ok(line.length > 100 * 8192, `line of ${line.length} chars`);
  assert.ok(maxBuffered <= 8192 + 1000, `held ${maxBuffered} chars`);
  assert.ok(!out.includes(SECRET));
  for (const secret of secrets) assert.ok(!out.includes(secret), secret);
  assert.equal(out.split("filler").length, line.split("filler").length);
});

Deno.test("a single credential longer than the line window leaves no piece behind", () => {
  const value = "Q".repeat(50_000);
  const out = redactText(redactor, `start password=${value} end`, {
    chunkChars: 777,
    maxLineChars: 4096,
  });
  assert.ok(!out.includes("QQQQQQQQ"), out.slice(0, 200));
  assert.ok(out.startsWith("start password=") && out.endsWith(" end"));
});

Deno.test("a private key inside a long line is removed up to its END marker", () => {
  const body = "B".repeat(20_000);
  const input = `${
    "x ".repeat(3000)
  }-----BEGIN PRIVATE KEY-----${body}-----END PRIVATE KEY----- after`;
  const out = redactText(redactor, input, { chunkChars: 333, maxLineChars: 2048 });
  assert.ok(!out.includes("BBBBBBBB"));
  assert.ok(out.endsWith(`${REDACTED} after`), out.slice(-60));
});

Deno.test("createRedactStream() works as a TransformStream in a pipe", async () => {
  const chunks = [
    "Authorization: Bea",
    "rer abc123def456\n",
    SECRET.slice(0, 5),
    SECRET.slice(5),
    "\n",
  ];
  const out = await Array.fromAsync(
    ReadableStream.from(chunks).pipeThrough(createRedactStream(redactor)),
  );
  const text = out.join("");
  assert.equal(text, `Authorization: Bearer ${REDACTED}\n${REDACTED}\n`);
});

Deno.test("the stream removes a secret from wrapped base64 arriving a line at a time", () => {
  const file = `# config\nWEBHOOK_SECRET=${SECRET}\nPORT=8000\n`;
  for (const width of [76, 20, 5]) {
    const encoded = btoa(file).replace(new RegExp(`(.{${width}})`, "g"), "$1\n") + "\n";
    for (const chunkChars of [1, width + 1, 4096]) {
      const out = redactText(redactor, encoded, { chunkChars });
      assert.equal(out, redactor.text(encoded), `width ${width}, chunks of ${chunkChars}`);
      const joined = out.replaceAll("\n", "");
      assert.equal(redactor.text(joined), joined, `width ${width}, chunks of ${chunkChars}`);
    }
  }
});

Deno.test("the stream emits a line of prose at once, even while it holds back encoded lines", () => {
  const lines = createLineRedactor(redactor);
  assert.equal(lines.push("a line of log text\n"), "a line of log text\n");
  const held = lines.push("QUJDREVGR0hJSktMTU5PUA\n");
  assert.equal(held + lines.push("done.\n"), "QUJDREVGR0hJSktMTU5PUA\ndone.\n");
  assert.equal(lines.end(), "");
});

/** `bytes` deterministic pseudo-random bytes (xorshift32): encoded, they look like any file. */
function noise(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = 0x9e3779b9;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

Deno.test("a long secret-free stream of encoded lines comes out whole and as it goes, with a bounded hold", () => {
  const data = noise(1_500_000);
  const encodings: Array<[string, number, string]> = [
    ["base64", 76, data.toBase64()],
    ["xxd -p", 60, data.toHex()],
  ];
  for (const [label, width, flat] of encodings) {
    const input = flat.replace(new RegExp(`(.{${width}})`, "g"), "$1\n") + "\n";
    assert.ok(input.length > 2_000_000, label);
    // What may wait for a wrapped form's rest: the lines within its reach, and a partial line.
    const bound = redactor.known.wrappedChars + 2 * (width + 1);
    const lines = createLineRedactor(redactor);
    const chunkChars = 4096;
    let out = "";
    let mostHeld = 0;
    for (let fed = 0; fed < input.length;) {
      out += lines.push(input.slice(fed, fed + chunkChars));
      fed = Math.min(input.length, fed + chunkChars);
      mostHeld = Math.max(mostHeld, lines.bufferedChars, fed - out.length);
    }
    out += lines.end();
    assert.ok(out === input, `${label}: the output is not the input`);
    assert.ok(mostHeld <= bound, `${label}: ${mostHeld} characters held, more than ${bound}`);
  }
});

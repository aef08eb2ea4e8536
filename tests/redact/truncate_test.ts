import assert from "node:assert/strict";
import {
  createRedactor,
  CUT_MARK,
  redactBytesCutAtStart,
  redactBytesThenTruncate,
  REDACTED,
  redactThenTruncate,
  truncateForPrinting,
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
  const filler = "word ".repeat(20);
  const text = `${filler}${SECRET}`;
  for (let end = filler.length; end < text.length; end++) {
    const { text: out, truncated } = redactThenTruncate(redactor, text.slice(0, end), {
      inputWasCut: true,
    });
    assert.equal(truncated, true);
    assert.deepEqual(survivingFragments(out, SECRET, 4), [], `cut at ${end}: ${out}`);
    assert.ok(out.startsWith("word word"), out);
  }
});

Deno.test("redactThenTruncate() removes a URL password cut off before its @", () => {
  // With no known secret nothing else goes at the cut, and the URL password still does.
  const plain = redactThenTruncate(createRedactor(), "see https://deploy:hunter2hun", {
    inputWasCut: true,
  });
  assert.equal(plain.text, `see https://deploy:${REDACTED}`);
  const known = redactThenTruncate(redactor, `${"word ".repeat(20)}https://deploy:hunter2hun`, {
    inputWasCut: true,
  });
  assert.equal(known.text.includes("hunter2"), false, known.text);
});

Deno.test("redactThenTruncate() keeps a port cut at the end, and any password with a letter in it", () => {
  const cut = (text: string) =>
    redactThenTruncate(createRedactor(), text, { inputWasCut: true }).text;
  assert.equal(cut("see https://example.com:8080"), "see https://example.com:8080");
  assert.equal(cut("see https://deploy:8080x"), `see https://deploy:${REDACTED}`);
  assert.equal(cut("see https://deploy:x8080"), `see https://deploy:${REDACTED}`);
  // A run the end does not close is no password.
  assert.equal(cut("see https://deploy:abc "), "see https://deploy:abc ");
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
  assert.deepEqual(survivingFragments(text, SECRET, 4), [], text);
  const split = redactBytesThenTruncate(
    createRedactor(),
    new TextEncoder().encode("ab€").subarray(0, 4),
    { inputWasCut: true },
  );
  assert.equal(split.text, "ab");
});

Deno.test("where a byte cap falls tells nothing about a secret: what goes depends on the position only", () => {
  // The sender of the text chooses where it is cut (fetch_url's max_bytes on a host that
  // echoes): a true start of the secret and a wrong guess must come out alike, also when
  // the guess is followed by a word longer than any form of the secret.
  for (const chars of [4, 8, 16, 30]) {
    for (const tail of ["", "Z".repeat(200), " more words ".repeat(20)]) {
      const cut = (guess: string) =>
        redactThenTruncate(redactor, `echo ${guess}${tail}`, { inputWasCut: true }).text
          .replace(guess, "GUESS");
      assert.equal(cut(SECRET.slice(0, chars)), cut("Q".repeat(chars)), `${chars} ${tail.length}`);
    }
  }
});

Deno.test("a cut mark typed after a guess tells nothing: the text is left as it is either way", () => {
  for (const chars of [4, 6, 12, 20]) {
    for (const guess of [SECRET.slice(0, chars), "Zq3v".repeat(5).slice(0, chars)]) {
      for (
        const text of [`no event webhook/${guess}${CUT_MARK} found`, `say ${guess} ${CUT_MARK}`]
      ) {
        assert.equal(redactor.text(text), text);
      }
    }
  }
  // The hex form too (two hex digits give a secret's first character).
  const hex = Array.from(
    new TextEncoder().encode(SECRET.slice(0, 3)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  assert.equal(redactor.text(`header ${hex}${CUT_MARK}`), `header ${hex}${CUT_MARK}`);
  const phrase = createRedactor({ secrets: ["correct horse battery staple"] });
  for (const guess of ["correct horse ", "correct mouse "]) {
    assert.equal(phrase.text(`said ${guess}${CUT_MARK}`), `said ${guess}${CUT_MARK}`);
  }
});

Deno.test("text cut for printing by code that does not know the secrets keeps no piece of one once printed", () => {
  for (let before = 0; before < 40; before++) {
    const line = truncateForPrinting(
      `url 'https://x.example.com/?q=${SECRET}' is bad`,
      31 + before,
    );
    assert.ok(line.endsWith(CUT_MARK), line);
    const printed = redactor.text(line);
    assert.deepEqual(survivingFragments(printed, SECRET, 4), [], printed);
    assert.ok(printed.startsWith("url '"), printed);
  }
  // Standard base64 has / and =: a word goes on through them.
  const base64 = "k3J/9xQ+w2Lm=Zp8Rt4/Vb7Nc1Yd6Hf0"; // 32 characters
  const printing = createRedactor({ secrets: [base64] });
  for (let cut = 10; cut < 40; cut++) {
    const line = truncateForPrinting(`stderr: token ${base64} rejected`, cut);
    assert.deepEqual(survivingFragments(printing.text(line), base64, 4), [], line);
  }
});

Deno.test("a vendor's fixed prefix before a cut mark is left alone", () => {
  const standard = createRedactor({ secrets: ["whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2La"] });
  const text = `paste the whsec_${CUT_MARK} value into .env`;
  assert.equal(standard.text(text), text);
});

/** `text` wrapped at `width` characters a line, as `base64` and `xxd -p` print it. */
function wrap(text: string, width: number): string {
  return text.match(new RegExp(`.{1,${width}}`, "g"))?.join("\n") ?? "";
}

const hex = (text: string) =>
  Array.from(new TextEncoder().encode(text), (b) => b.toString(16).padStart(2, "0")).join("");

Deno.test("redactBytesCutAtStart() leaves no piece of a secret the cut went through, in any form, and keeps the last line", () => {
  const pem = "-----BEGIN PRIVATE KEY-----\n" +
    wrap("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC".repeat(6), 64) +
    "\n-----END PRIVATE KEY-----";
  const pemBody = pem.split("\n")[2] as string;
  const forms: [string, string][] = [
    ["raw", SECRET],
    ["in a URL", `https://user:${SECRET}@example.com/`],
    ["base64 wrapped", wrap(btoa(`WEBHOOK_SECRET=${SECRET}\n`), 20)],
    ["hex wrapped", wrap(hex(SECRET), 60)],
    ["private key", pem],
  ];
  for (const [name, form] of forms) {
    const text = `${"chatter line\n".repeat(4)}${form}\n${"more chatter\n".repeat(40)}the cause\n`;
    const bytes = new TextEncoder().encode(text);
    for (let cut = 0; cut < text.indexOf("more chatter"); cut++) {
      const out = redactBytesCutAtStart(redactor, bytes.subarray(cut));
      assert.deepEqual(survivingFragments(out, SECRET), [], `${name}, cut at ${cut}: ${out}`);
      assert.deepEqual(survivingFragments(out, hex(SECRET)), [], `${name}, cut at ${cut}: ${out}`);
      assert.deepEqual(survivingFragments(out, pemBody), [], `${name}, cut at ${cut}: ${out}`);
      assert.match(out, /the cause\n$/, `${name}, cut at ${cut}`);
    }
  }
});

Deno.test("redactBytesCutAtStart() keeps nothing of a single cut line, nor of a cut private key's body", () => {
  assert.equal(redactBytesCutAtStart(redactor, new TextEncoder().encode(SECRET.slice(5))), "");
  const body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC";
  assert.equal(
    redactBytesCutAtStart(createRedactor(), new TextEncoder().encode(`xx\n${body}`)),
    "",
  );
});

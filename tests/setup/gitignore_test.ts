import assert from "node:assert/strict";
import { addGitignoreLines, hasGitignoreLine } from "../../lib/setup/mod.ts";

Deno.test("hasGitignoreLine() matches only the exact line", () => {
  assert.equal(hasGitignoreLine("node_modules/\n.env\n", ".env"), true);
  assert.equal(hasGitignoreLine(".env\r\n", ".env"), true);
  for (const text of [".env \n", " .env\n", "# .env\n", "/.env\n", ".env.local\n", ""]) {
    assert.equal(hasGitignoreLine(text, ".env"), false, JSON.stringify(text));
  }
});

Deno.test("addGitignoreLines() appends only the missing lines, once", () => {
  const edit = addGitignoreLines(".env\n", [".env", ".hookgate/", ".hookgate/"]);
  assert.deepEqual(edit, { text: ".env\n.hookgate/\n", added: [".hookgate/"] });
  assert.deepEqual(addGitignoreLines(edit.text, [".env", ".hookgate/"]).added, []);
});

Deno.test("addGitignoreLines() starts a new line after a file without a final newline", () => {
  assert.equal(addGitignoreLines("dist/", [".env"]).text, "dist/\n.env\n");
  assert.equal(addGitignoreLines("", [".env"]).text, ".env\n");
});

Deno.test("addGitignoreLines() leaves the text unchanged when nothing is missing", () => {
  const text = "# keep\r\n.env\r\n.hookgate/";
  assert.equal(addGitignoreLines(text, [".env", ".hookgate/"]).text, text);
});

Deno.test("a later negation takes .env back: not ignored, and init appends .env again at the end", () => {
  for (const negation of ["!.env", "!/.env", "!*.env"]) {
    const text = `.env\n${negation}\n`;
    assert.equal(hasGitignoreLine(text, ".env"), false, negation);
    const edit = addGitignoreLines(text, [".env"]);
    assert.deepEqual(edit.added, [".env"]);
    assert.equal(hasGitignoreLine(edit.text, ".env"), true);
  }
  assert.equal(hasGitignoreLine("!.env\n.env\n", ".env"), true, "the last line wins");
  assert.equal(hasGitignoreLine(".env\n!.envrc\n", ".env"), true, "another name");
});

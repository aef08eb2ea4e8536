import assert from "node:assert/strict";
import { envLine, parseDotenv, setEnvValues } from "../../lib/setup/mod.ts";

Deno.test("setEnvValues() fills an empty assignment in place, keeping comments and order", () => {
  const text = "# top\nWEBHOOK_SECRET=\n\n# hosts\nEGRESS_ALLOW_HOSTS=a.b\n";
  assert.equal(
    setEnvValues(text, { WEBHOOK_SECRET: "abc_DEF-123" }),
    "# top\nWEBHOOK_SECRET=abc_DEF-123\n\n# hosts\nEGRESS_ALLOW_HOSTS=a.b\n",
  );
});

Deno.test("setEnvValues() appends a variable the text lacks", () => {
  assert.equal(setEnvValues("A=1", { B: "2" }), "A=1\nB=2\n");
  assert.equal(setEnvValues("", { B: "2" }), "B=2\n");
});

Deno.test("setEnvValues() replaces the last assignment, the one parsing uses", () => {
  const out = setEnvValues("A=1\nexport A=2\n", { A: "3" });
  assert.equal(out, "A=1\nA=3\n");
  assert.equal(parseDotenv(out).A, "3");
});

Deno.test("setEnvValues() does not touch a commented-out assignment", () => {
  assert.equal(setEnvValues("# A=old\n", { A: "new" }), "# A=old\nA=new\n");
});

Deno.test("setEnvValues() keeps CRLF line endings", () => {
  assert.equal(setEnvValues("A=\r\nB=2\r\n", { A: "1" }), "A=1\r\nB=2\r\n");
});

Deno.test("envLine() quotes a value that would not parse back as itself", () => {
  for (const value of ["a b", "x # y", 'q"uote', "back\\slash", "line\nbreak", "'single'", ""]) {
    assert.equal(parseDotenv(envLine("V", value)).V, value, JSON.stringify(value));
  }
  assert.equal(envLine("V", "plain_base64url-Value="), "V=plain_base64url-Value=");
});

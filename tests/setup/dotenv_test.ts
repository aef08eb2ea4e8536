import assert from "node:assert/strict";
import { parseDotenv } from "../../lib/setup/mod.ts";

Deno.test("parseDotenv() reads plain KEY=value lines", () => {
  assert.deepEqual(parseDotenv("A=1\nB=two"), { A: "1", B: "two" });
});

Deno.test("parseDotenv() handles CRLF line endings", () => {
  assert.deepEqual(parseDotenv("A=1\r\nB=2\r\n"), { A: "1", B: "2" });
});

Deno.test("parseDotenv() skips comments and blank lines", () => {
  assert.deepEqual(parseDotenv("# a comment\n\n  \nA=1 # trailing\nB=x#y"), { A: "1", B: "x#y" });
});

Deno.test("parseDotenv() accepts an export prefix", () => {
  assert.deepEqual(parseDotenv("export A=1\nexport  B = 2"), { A: "1", B: "2" });
});

Deno.test("parseDotenv() keeps single-quoted values literally", () => {
  assert.deepEqual(parseDotenv("A='x # y \\n'"), { A: "x # y \\n" });
});

Deno.test("parseDotenv() unescapes double-quoted values", () => {
  assert.deepEqual(parseDotenv('A="line\\nnext \\"q\\" # kept"'), { A: 'line\nnext "q" # kept' });
});

Deno.test("parseDotenv() keeps '=' inside a value", () => {
  assert.deepEqual(parseDotenv("A=b=c=="), { A: "b=c==" });
});

Deno.test("parseDotenv() ignores lines that are not assignments", () => {
  assert.deepEqual(parseDotenv("not an assignment\n=novalue\nA=1"), { A: "1" });
});

Deno.test("parseDotenv() reads a value that is only a comment as empty", () => {
  assert.deepEqual(parseDotenv("WEBHOOK_SECRET= # fill in\nB=#x"), { WEBHOOK_SECRET: "", B: "" });
});

Deno.test("parseDotenv() ignores a byte-order mark", () => {
  assert.deepEqual(parseDotenv("\uFEFFA=1\n"), { A: "1" });
});

Deno.test("parseDotenv() drops a line whose quote never closes", () => {
  assert.deepEqual(parseDotenv('A="open\nB=2'), { B: "2" });
});

Deno.test("parseDotenv() lets the last assignment of a name win", () => {
  assert.deepEqual(parseDotenv("A=1\nA=2"), { A: "2" });
});

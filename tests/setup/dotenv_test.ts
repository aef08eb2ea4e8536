import assert from "node:assert/strict";
import { parseDotenv } from "../../lib/setup/mod.ts";

/** What parseDotenv() must make of a .env text: [behaviour, text, variables]. */
const CASES: [string, string, Record<string, string>][] = [
  ["reads plain KEY=value lines", "A=1\nB=two", { A: "1", B: "two" }],
  ["handles CRLF line endings", "A=1\r\nB=2\r\n", { A: "1", B: "2" }],
  ["skips comments and blank lines", "# a comment\n\n  \nA=1 # trailing\nB=x#y", {
    A: "1",
    B: "x#y",
  }],
  ["accepts an export prefix", "export A=1\nexport  B = 2", { A: "1", B: "2" }],
  ["keeps single-quoted values literally", "A='x # y \\n'", { A: "x # y \\n" }],
  ["unescapes double-quoted values", 'A="line\\nnext \\"q\\" # kept"', {
    A: 'line\nnext "q" # kept',
  }],
  ["keeps '=' inside a value", "A=b=c==", { A: "b=c==" }],
  ["ignores lines that are not assignments", "not an assignment\n=novalue\nA=1", { A: "1" }],
  ["reads a value that is only a comment as empty", "WEBHOOK_SECRET= # fill in\nB=#x", {
    WEBHOOK_SECRET: "",
    B: "",
  }],
  ["ignores a byte-order mark", "\uFEFFA=1\n", { A: "1" }],
  ["drops a line whose quote never closes", 'A="open\nB=2', { B: "2" }],
  ["lets the last assignment of a name win", "A=1\nA=2", { A: "2" }],
];

for (const [behaviour, text, expected] of CASES) {
  Deno.test(`parseDotenv() ${behaviour}`, () => {
    assert.deepEqual(parseDotenv(text), expected);
  });
}

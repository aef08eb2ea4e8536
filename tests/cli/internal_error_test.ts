import assert from "node:assert/strict";
import { reportError } from "../../main.ts";
import { createMemoryOutput, ExitCode } from "../../lib/cli/mod.ts";

/** ESC, BEL, DEL and C1 controls: what can drive a terminal (newlines are the stack's own). */
// deno-lint-ignore no-control-regex
const TERMINAL_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

Deno.test("an internal error quoting outside text sends no control character to the terminal", () => {
  // JSON.parse's message quotes the text it failed on, which may be another server's answer.
  let error: unknown;
  try {
    JSON.parse("\x1b]0;owned\x07\x1b[2J\x9b31m not json");
  } catch (caught) {
    error = caught;
  }
  const output = createMemoryOutput();
  assert.equal(reportError(error, output), ExitCode.software);
  const stderr = output.stderr();
  assert.match(stderr, /internal error/);
  assert.doesNotMatch(stderr, TERMINAL_CONTROL, "no control character reaches the terminal");
  assert.match(stderr, /\\x1b\]0;owned/, "the quoted text is still shown, spelled out");
  assert.ok(stderr.split("\n").length > 2, "the stack keeps its lines");
});

/** Checks on a child's stderr shared by the end-to-end tests: hookgate's own lines only. */
import assert from "node:assert/strict";

/** Nothing reached stderr past hookgate's own output: no runtime stack trace, no queue exception. */
export function assertNoStackTrace(stderr: string): void {
  assert.ok(!stderr.includes("Exception in queue handler"), stderr);
  assert.ok(!/^\s+at \S/m.test(stderr), `a stack trace reached stderr:\n${stderr}`);
}

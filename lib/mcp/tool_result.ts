/**
 * Tool results as the model reads them: one JSON text block, the same object as
 * structured content, both taken from a redacted copy of the value.
 */
import type { Redactor } from "../redact/mod.ts";
import type { CallToolResult } from "./sdk.ts";

/** A successful result carrying `value` (redacted before it is serialized). */
export function jsonResult(redactor: Redactor, value: Record<string, unknown>): CallToolResult {
  const clean = redactor.value(value) as Record<string, unknown>;
  return { content: [{ type: "text", text: JSON.stringify(clean) }], structuredContent: clean };
}

/** A tool error: the call ran and failed; `message` says what failed and what to do. */
export function errorResult(redactor: Redactor, message: string): CallToolResult {
  return { content: [{ type: "text", text: redactor.text(message) }], isError: true };
}

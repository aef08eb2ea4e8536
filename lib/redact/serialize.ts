/** The trace's serializer: records to redacted JSON lines. */
import type { Redactor } from "./redactor.ts";

/**
 * Redact the value tree, serialize, then redact the text once more. If that second pass
 * changed the text (a secret that appears only in serialized form, such as a numeric
 * value), the result is re-checked so a line is always valid JSON; a broken one is carried
 * as a redacted string instead.
 */
export function stringifyRedacted(redactor: Redactor, input: unknown): string {
  return checkedLine(redactor, input, JSON.stringify(redactor.value(input)) ?? "null");
}

/**
 * `stringifyRedacted` for many records at once (the trace's batches), one per line. The
 * text pass runs once over all the lines joined by newlines (JSON text has none of its
 * own) instead of once per line; only when it changed something is each line redacted
 * and checked alone, so the result is the same as line by line.
 */
export function stringifyRedactedLines(redactor: Redactor, inputs: unknown[]): string[] {
  const lines = inputs.map((input) => JSON.stringify(redactor.value(input)) ?? "null");
  const joined = lines.join("\n");
  if (redactor.text(joined) === joined) return lines;
  return lines.map((line, i) => checkedLine(redactor, inputs[i], line));
}

/** The text pass over one serialized record, falling back to a valid line if it broke the JSON. */
function checkedLine(redactor: Redactor, input: unknown, serialized: string): string {
  const redacted = redactor.text(serialized);
  if (redacted === serialized) return redacted;
  try {
    JSON.parse(redacted);
    return redacted;
  } catch {
    // Keep a record's own `time` and `type`, so a trace line still says when and what.
    const { time, type } = (input ?? {}) as { time?: unknown; type?: unknown };
    const keep = Object.fromEntries(
      Object.entries({ time, type }).filter(([, value]) => typeof value === "string"),
    );
    return JSON.stringify(redactor.value({ ...keep, unparsable_after_redaction: redacted }));
  }
}

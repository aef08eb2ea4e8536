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
 *
 * With `times`, the lines are those of `{ time: times[i], ...inputs[i] }`: the trace stamps
 * each record with its own clock as an ISO date, new on every line, and a new string costs
 * the tree pass a full redaction of its own. So the stamp is put at the head of its line
 * after the tree pass, and before the text pass, which still reads every byte of every line.
 * A record with its own `time`, one that is not a plain object, or one whose keys are numbers
 * goes the usual way. (A record that contains itself is cut one level sooner than through the
 * copy: `"[circular]"` where the copy showed the record once more.)
 */
export function stringifyRedactedLines(
  redactor: Redactor,
  inputs: unknown[],
  times?: string[],
): string[] {
  const lines = inputs.map((input, i) =>
    times === undefined
      ? JSON.stringify(redactor.value(input)) ?? "null"
      : stampedLine(redactor, input as object, times[i] ?? "")
  );
  const joined = lines.join("\n");
  if (redactor.text(joined) === joined) return lines;
  return lines.map((line, i) =>
    checkedLine(
      redactor,
      times === undefined ? inputs[i] : { time: times[i], ...(inputs[i] as object) },
      line,
    )
  );
}

function stampedLine(redactor: Redactor, record: object, time: string): string {
  // Only a plain record serializes as its own properties, as the spread copy would, and only
  // one whose keys are not numbers puts `time` first (number-like keys always lead).
  if (
    Object.getPrototypeOf(record) === Object.prototype &&
    !("time" in record || "toJSON" in record) && !leadsWithNumber(record)
  ) {
    const json = JSON.stringify(redactor.value(record));
    const stamp = `{"time":${JSON.stringify(time)}`;
    if (json === "{}") return `${stamp}}`;
    if (json?.startsWith("{")) return `${stamp},${json.slice(1)}`;
  }
  return JSON.stringify(redactor.value({ time, ...record })) ?? "null";
}

/** Whether the first key is number-like: the first key there is, with no array made. */
function leadsWithNumber(record: object): boolean {
  for (const key in record) return /^[0-9]+$/.test(key);
  return false;
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

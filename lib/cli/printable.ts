/**
 * Text from outside (event keys, paths, an agent's output) made safe for a terminal and for
 * one-line JSON logs: serve's log and `hookgate events` print it through here.
 */

/** The bidirectional embeddings, overrides, isolates and marks, as a character class's body. */
const BIDI_CONTROLS = "\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069";

/**
 * C0 controls but tab, DEL and C1 controls: a terminal acts on them (new lines, escapes)
 * instead of showing them. A tab only moves to the next column, and stack traces indent with it.
 * And the bidirectional controls (embeddings, overrides, isolates, marks): a terminal that
 * lays out right-to-left text would reorder the rest of the line, so a path or an id could
 * make a log line read as another.
 */
const TERMINAL_CONTROLS = new RegExp(`[\\x00-\\x08\\x0a-\\x1f\\x7f-\\x9f${BIDI_CONTROLS}]`, "g");
const NAMED_CONTROLS: Record<string, string> = { "\n": "\\n", "\r": "\\r" };
/**
 * What JSON.stringify leaves as it is but a terminal still acts on: DEL, C1 and the
 * bidirectional controls.
 */
const JSON_UNESCAPED_CONTROLS = new RegExp(`[\\x7f-\\x9f${BIDI_CONTROLS}]`, "g");

/**
 * Text as a terminal shows it, control characters spelled out (`\n`, `\x1b`): an event id
 * (signed, but chosen by the sender) and an agent's stderr or last error (which may echo a
 * payload anyone could write, such as an issue title) cannot start a forged line or move
 * the cursor, in serve's log or in `hookgate events`.
 */
export function printable(text: string): string {
  return text.replace(
    TERMINAL_CONTROLS,
    (c) =>
      NAMED_CONTROLS[c] ??
        (c.charCodeAt(0) > 0xff
          ? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`
          : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`),
  );
}

/**
 * One JSON line with DEL, C1 and bidirectional controls escaped too (JSON.parse reads them
 * back unchanged).
 */
export function jsonLine(value: unknown): string {
  return escapeJsonControls(JSON.stringify(value));
}

/**
 * JSON text with DEL, C1 and bidirectional controls escaped as `\u` sequences: still the same
 * JSON, but a payload's string (anyone may write one, such as an issue title) sends no escape to
 * a terminal and reorders no line.
 */
export function escapeJsonControls(json: string): string {
  return json.replace(
    JSON_UNESCAPED_CONTROLS,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

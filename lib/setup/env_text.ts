/**
 * Editing `.env` text in place (set a variable, keep comments and order), for `init` and
 * `rotate`.
 */
import { parseDotenv } from "./dotenv.ts";

const PLAIN_VALUE = /^[A-Za-z0-9_\-.,:@/+=]*$/;

/** One `.env` line; values with anything but plain characters are double-quoted. */
export function envLine(name: string, value: string): string {
  if (PLAIN_VALUE.test(value)) return `${name}=${value}`;
  const escaped = value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r").replace(/\t/g, "\\t");
  return `${name}="${escaped}"`;
}

/**
 * Sets variables in `.env` text, keeping everything else (comments, order,
 * line endings). An existing assignment is replaced in place (the last one
 * wins, as when parsing); a missing one is appended.
 */
export function setEnvValues(text: string, values: Record<string, string>): string {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text === "" ? [] : text.split(/\r?\n/);
  const trailingNewline = lines.length > 0 && lines[lines.length - 1] === "";
  if (trailingNewline) lines.pop();
  for (const [name, value] of Object.entries(values)) {
    const index = lines.findLastIndex((line) => Object.hasOwn(parseDotenv(line), name));
    if (index === -1) lines.push(envLine(name, value));
    else lines[index] = envLine(name, value);
  }
  return lines.length === 0 ? "" : lines.join(eol) + eol;
}

/**
 * `localhost:8000/webhook` parses as a URL with the scheme `localhost:`: a
 * host (with a port or a path) but no `scheme://` gets the URL it meant.
 */
export function schemelessSuggestion(raw: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return null;
  const host = /^([a-z0-9.-]+|\[[0-9a-f:]+\])(:[0-9]{1,5})?(\/.*)?$/i.exec(raw);
  if (
    host === null || (host[2] === undefined && host[3] === undefined && !host[1]?.includes("."))
  ) {
    return null;
  }
  const name = (host[1] ?? "").toLowerCase();
  const local = name === "localhost" || name.endsWith(".localhost") || /^127\./.test(name) ||
    name === "[::1]";
  return `${local ? "http" : "https"}://${raw}`;
}

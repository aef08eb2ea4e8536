/**
 * `localhost:8000/webhook` parses as a URL with the scheme `localhost:`: a
 * host (with a port or a path) but no `scheme://` gets the URL it meant.
 */
import { isLoopbackUrlHost } from "./plain_http.ts";

export function schemelessSuggestion(raw: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return null;
  const host = /^([a-z0-9.-]+|\[[0-9a-f:]+\])(:[0-9]{1,5})?(\/.*)?$/i.exec(raw);
  if (
    host === null || (host[2] === undefined && host[3] === undefined && !host[1]?.includes("."))
  ) {
    return null;
  }
  return `${isLoopbackUrlHost(host[1] ?? "") ? "http" : "https"}://${raw}`;
}

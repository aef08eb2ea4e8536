/**
 * The warning for a command that sends something over plain `http://` to another machine:
 * `send` (the payload: the signature protects its integrity, not its secrecy),
 * `events --url` and the link `ui` prints (a bearer token and the events themselves).
 * Loopback stays quiet: the bytes never leave the machine.
 */
import { isLoopbackHost } from "./serve_listen.ts";

/** Whether a URL's host is this machine (`localhost`, `*.localhost`, 127.0.0.0/8, `[::1]`). */
export function isLoopbackUrlHost(hostname: string): boolean {
  return isLoopbackHost(hostname) || hostname.toLowerCase().endsWith(".localhost");
}

/** The warning line for `url` (null for https or loopback); `exposed` says what anyone on the path gets. */
export function plainHttpWarning(url: URL, exposed: string): string | null {
  if (url.protocol !== "http:" || isLoopbackUrlHost(url.hostname)) return null;
  return `warning: plain http:// to ${url.hostname}: ${exposed} (use https://)`;
}

/**
 * The path of an absolute request URL without parsing it: Deno hands the
 * handler `scheme://host[:port]/path[?query]`. Anything unusual (dot segments,
 * percent-escapes) is left to URL, which normalizes it, so a route lookup
 * never depends on which of the two ran.
 */
export function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "/";
  let end = url.length;
  for (let i = start; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 0x3f /* ? */ || c === 0x23 /* # */) {
      end = i;
      break;
    }
    if (
      c === 0x25 /* % */ || c === 0x5c /* \\ */ ||
      (c === 0x2e /* . */ && url.charCodeAt(i - 1) === 0x2f)
    ) {
      return new URL(url).pathname;
    }
  }
  return url.slice(start, end);
}

/**
 * A Host header that is a plain `host[:port]`: a name of letters, digits, `-`, `.` and `_`,
 * or a bracketed IPv6 address. Deno builds `request.url` as `http://` + Host + the request
 * target, so a Host holding `/`, `?`, `#`, `@` or `\` would move the path away from the
 * request line (`Host: x/events?` on `GET /webhook` would read as `/events`).
 */
const PLAIN_HOST = /^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/**
 * The path the request line asked for (what routing, the inspection API and the trace use),
 * or null when the Host header is not a plain `host[:port]`: such a request is answered 400
 * (as HTTP/1.1 requires for an invalid Host) and never routed.
 */
export function requestPath(request: Request): string | null {
  const host = request.headers.get("host");
  if (host !== null && host !== "" && !PLAIN_HOST.test(host)) return null;
  return pathOf(request.url);
}

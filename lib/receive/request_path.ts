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

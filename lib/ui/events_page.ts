/**
 * The events page `serve` shows at /ui: one HTML file, its script (three small
 * ES modules) and its stylesheet, imported as text so `deno compile` puts them
 * in the binary. The
 * page holds no data and needs no token to load: it reads everything from
 * the inspection API with the bearer token the user brings.
 */
import script from "./app.js" with { type: "text" };
import style from "./app.css" with { type: "text" };
import format from "./format.js" with { type: "text" };
import live from "./live.js" with { type: "text" };
import html from "./page.html" with { type: "text" };

export const PAGE_PATH = "/ui";

/**
 * Strict for a page that shows untrusted payloads: only its own script and
 * stylesheet (no inline code, nothing from elsewhere), requests only to serve,
 * never framed, no referrer leaves it.
 */
export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; "),
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "cache-control": "no-store",
};

const FILES: ReadonlyMap<string, { body: string; type: string }> = new Map([
  [PAGE_PATH, { body: html, type: "text/html; charset=utf-8" }],
  [`${PAGE_PATH}/`, { body: html, type: "text/html; charset=utf-8" }],
  [`${PAGE_PATH}/app.js`, { body: script, type: "text/javascript; charset=utf-8" }],
  [`${PAGE_PATH}/live.js`, { body: live, type: "text/javascript; charset=utf-8" }],
  [`${PAGE_PATH}/format.js`, { body: format, type: "text/javascript; charset=utf-8" }],
  [`${PAGE_PATH}/app.css`, { body: style, type: "text/css; charset=utf-8" }],
]);

/**
 * Answers GET and HEAD for the page's files; null for anything else, so a
 * webhook route (POST) is never shadowed.
 */
export function eventsPageResponse(request: Request, path: string): Response | null {
  if (request.method !== "GET" && request.method !== "HEAD") return null;
  const file = FILES.get(path);
  if (file === undefined) return null;
  return new Response(request.method === "HEAD" ? null : file.body, {
    status: 200,
    headers: { ...PAGE_SECURITY_HEADERS, "content-type": file.type },
  });
}

/** The address that opens the page logged in: the token rides in the fragment, which browsers never send. */
export function eventsPageUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${PAGE_PATH}#token=${encodeURIComponent(token)}`;
}

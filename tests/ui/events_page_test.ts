import assert from "node:assert/strict";
import { eventsPageResponse, eventsPageUrl, PAGE_PATH } from "../../lib/ui/mod.ts";

function get(path: string, method = "GET"): Response | null {
  return eventsPageResponse(new Request(`http://127.0.0.1:8000${path}`, { method }), path);
}

Deno.test("eventsPageResponse() serves the page, its script and stylesheet with their types", async () => {
  const expected = {
    "/ui": /^text\/html/,
    "/ui/app.js": /^text\/javascript/,
    "/ui/live.js": /^text\/javascript/,
    "/ui/format.js": /^text\/javascript/,
    "/ui/app.css": /^text\/css/,
  };
  for (const [path, type] of Object.entries(expected)) {
    const response = get(path);
    assert.ok(response, path);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", type);
    assert.ok((await response.text()).length > 100, `${path} is empty`);
  }
});

Deno.test("eventsPageResponse() sends a CSP without inline script, no framing, nosniff, no referrer", () => {
  const response = get("/ui");
  assert.ok(response);
  const csp = response.headers.get("content-security-policy") ?? "";
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  assert.equal(response.headers.get("x-content-type-options"), "nosniff");
  assert.equal(response.headers.get("referrer-policy"), "no-referrer");
  assert.equal(response.headers.get("cache-control"), "no-store");
});

Deno.test("the page's HTML holds no inline script, style or event handler", async () => {
  const html = await get("/ui")?.text() ?? "";
  const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1);
  assert.match(scripts[0]?.[0] ?? "", /src="\/ui\/app\.js"/);
  assert.equal(scripts[0]?.[1]?.trim(), "");
  assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i);
  assert.doesNotMatch(html, /https?:\/\//, "the page loads something from elsewhere");
});

Deno.test("the page's script never writes HTML: no innerHTML, outerHTML, insertAdjacentHTML or document.write", async () => {
  for (const path of ["/ui/app.js", "/ui/live.js", "/ui/format.js"]) {
    const script = await get(path)?.text() ?? "";
    assert.ok(script.length > 100, `${path} is empty`);
    assert.doesNotMatch(script, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
  }
});

Deno.test("eventsPageResponse() leaves other methods and paths to the webhook routes", () => {
  assert.equal(get("/ui", "POST"), null);
  assert.equal(get("/ui/other.js"), null);
  assert.equal(get("/webhook"), null);
});

Deno.test("eventsPageResponse() answers HEAD with the headers and no body", () => {
  const response = get("/ui", "HEAD");
  assert.ok(response);
  assert.equal(response.body, null);
  assert.match(response.headers.get("content-security-policy") ?? "", /frame-ancestors/);
});

Deno.test("eventsPageUrl() puts the token in the fragment of the page's address", () => {
  assert.equal(
    eventsPageUrl("http://127.0.0.1:8000/", "hgt_abc.def"),
    `http://127.0.0.1:8000${PAGE_PATH}#token=hgt_abc.def`,
  );
});

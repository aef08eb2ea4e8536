import assert from "node:assert/strict";
import { pathOf } from "../../lib/receive/mod.ts";

Deno.test("pathOf() gives the same path as URL's pathname for every shape of URL", () => {
  for (
    const url of [
      "http://127.0.0.1:8000/webhook",
      "http://127.0.0.1:8000/webhook?x=1",
      "http://127.0.0.1:8000/webhook#frag",
      "http://127.0.0.1:8000/",
      "http://127.0.0.1:8000",
      "http://[::1]:8000/events/webhook/id%3Aevt-1",
      "http://h/events/../webhook",
      "http://h/x/./events",
      "http://h/x/%2e%2e/events",
      "http://h/a\\b",
      "http://h/events?status=dead",
      "https://user:pw@h:1/p/q.r?s#t",
    ]
  ) {
    assert.equal(pathOf(url), new URL(url).pathname, url);
  }
});

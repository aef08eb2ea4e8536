import assert from "node:assert/strict";
import {
  checkFetchRequest,
  type FetchRequest,
  requestAfterRedirect,
} from "../../lib/egress/mod.ts";

function checked(input: Parameters<typeof checkFetchRequest>[0]): FetchRequest {
  const result = checkFetchRequest(input);
  assert.ok(result.ok, result.ok ? "" : result.reason);
  return result.value;
}

function refusal(input: Parameters<typeof checkFetchRequest>[0]): string {
  const result = checkFetchRequest(input);
  assert.ok(!result.ok, "was allowed");
  return result.reason;
}

Deno.test("checkFetchRequest() defaults to a GET without headers or body", () => {
  assert.deepEqual(checked({}), { method: "GET", headers: [], body: null });
});

Deno.test("checkFetchRequest() keeps a POST with lowercase header names and its body", () => {
  assert.deepEqual(
    checked({ method: "post", headers: { "Content-Type": "application/json" }, body: "{}" }),
    { method: "POST", headers: [["content-type", "application/json"]], body: "{}" },
  );
});

Deno.test("checkFetchRequest() refuses headers that steer where or how a request travels", () => {
  for (
    const name of [
      "Host",
      "connection",
      "Transfer-Encoding",
      "Proxy-Authorization",
      "X-Forwarded-For",
      "User-Agent",
      "Content-Length",
    ]
  ) {
    assert.match(refusal({ headers: { [name]: "x" } }), /may not be set/, name);
  }
});

Deno.test("checkFetchRequest() refuses header injection: CR/LF in a value, a bad name", () => {
  assert.match(refusal({ headers: { "x-a": "1\r\nHost: evil" } }), /one line of text/);
  assert.match(refusal({ headers: { "x a": "1" } }), /not a valid HTTP token/);
  assert.match(refusal({ headers: { ":authority": "evil" } }), /not a valid HTTP token/);
});

Deno.test("checkFetchRequest() refuses a body on GET or HEAD and an unknown method", () => {
  assert.match(refusal({ body: "x" }), /GET request has no body/);
  assert.match(refusal({ method: "HEAD", body: "x" }), /HEAD request has no body/);
  assert.match(refusal({ method: "CONNECT" }), /method 'CONNECT' is not allowed/);
});

Deno.test("requestAfterRedirect() turns 303, and 301/302 after a POST, into a GET without body", () => {
  const post = checked({
    method: "POST",
    headers: { "content-type": "application/json", "x-request": "1" },
    body: "{}",
  });
  for (const status of [301, 302, 303]) {
    assert.deepEqual(requestAfterRedirect(post, status, true), {
      method: "GET",
      headers: [["x-request", "1"]],
      body: null,
    });
  }
  assert.deepEqual(requestAfterRedirect(post, 307, true), post);
  assert.deepEqual(requestAfterRedirect(post, 308, true), post);
  const put = checked({ method: "PUT", body: "x" });
  assert.deepEqual(requestAfterRedirect(put, 302, true), put);
});

Deno.test("requestAfterRedirect() sends the caller's headers on to the same origin only", () => {
  const get = checked({ headers: { authorization: "Bearer abc" } });
  assert.deepEqual(requestAfterRedirect(get, 302, true).headers, [["authorization", "Bearer abc"]]);
  assert.deepEqual(requestAfterRedirect(get, 302, false).headers, []);
});

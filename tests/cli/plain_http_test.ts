/**
 * What `send` and `events --url` say before sending over plain http:// to another machine,
 * and that `events --url` never carries its bearer token along a redirect.
 */
import assert from "node:assert/strict";
import { remoteSource } from "../../lib/cli/events_source.ts";
import { isLoopbackUrlHost, plainHttpWarning } from "../../lib/cli/plain_http.ts";
import { runCli } from "../support/cli.ts";
import { startRecordingServer } from "../support/recording_server.ts";

const TOKEN_ENV = { HOOKGATE_TOKEN_SECRET: "plain-http-token-key-" + crypto.randomUUID() };

Deno.test("plain http to another machine is warned of, with what it exposes", () => {
  for (
    const url of ["http://10.0.0.5:8000/", "http://hooks.example.com/", "http://[2001:db8::1]/"]
  ) {
    const warning = plainHttpWarning(new URL(url), "the token can be read");
    assert.ok(warning !== null, url);
    assert.ok(warning.startsWith("warning: plain http:// to "), url);
    assert.match(warning, /the token can be read \(use https:\/\/\)$/);
  }
});

Deno.test("https and loopback addresses are not warned of", () => {
  for (
    const url of [
      "https://hooks.example.com/",
      "http://127.0.0.1:8000/",
      "http://127.8.9.10/",
      "http://localhost:8000/",
      "http://app.localhost/",
      "http://[::1]:8000/",
    ]
  ) {
    assert.equal(plainHttpWarning(new URL(url), "x"), null, url);
  }
  assert.equal(isLoopbackUrlHost("127.0.0.1.example.com"), false);
  assert.equal(isLoopbackUrlHost("localhost.example.com"), false);
});

Deno.test("events --url does not follow a redirect: the token never reaches the other server", async () => {
  await using elsewhere = startRecordingServer(() => Response.json({ ok: true }));
  await using server = startRecordingServer((request) =>
    new Response(null, { status: 307, headers: { location: `${elsewhere.url}${request.path}` } })
  );
  const source = remoteSource(new URL(server.url), "the-bearer-token");
  const error = await source.redeliver("webhook", "id:e1").then(() => null, (e: Error) => e);
  assert.ok(error instanceof Error, "a redirected redeliver must not count as done");
  assert.match(error.message, /answered 307, a redirect elsewhere: give --url serve's own address/);
  assert.equal(server.requests.length, 1);
  assert.deepEqual(elsewhere.requests, []);
  assert.equal(
    (await source.list("dead", 10).then(() => null, (e: Error) => e))?.message.includes("307"),
    true,
  );
  assert.deepEqual(elsewhere.requests, []);
});

Deno.test("events --url spells out control characters in what another server answers", async () => {
  await using failing = startRecordingServer(() =>
    new Response("\x1b[2Jbusy\r\nok", { status: 500 })
  );
  await using refusing = startRecordingServer(() =>
    Response.json({ error: "\x1b]0;owned\x07no" }, { status: 401 })
  );
  for (const server of [failing, refusing]) {
    const source = remoteSource(new URL(server.url), "the-bearer-token");
    const error = await source.list("dead", 10).then(() => null, (e: Error) => e);
    assert.ok(error instanceof Error);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(error.message, /[\x00-\x08\x0a-\x1f\x7f]/, "no raw control character");
    assert.match(error.message, /\\x1b/);
  }
});

Deno.test("events --url to another host over plain http warns what the path can read, and still asks", async () => {
  // No other machine is reached: the test server is the HTTP proxy the child sends through,
  // which is what anyone on the path is, and it sees what the warning names.
  await using path = startRecordingServer(() => Response.json({ events: [] }));
  const result = await runCli(["events", "ls", "--url", "http://hooks.example.com:8000"], {
    env: { ...TOKEN_ENV, HTTP_PROXY: new URL(path.url).origin },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stderr,
    /^warning: plain http:\/\/ to hooks\.example\.com: anyone on the path can read the bearer token, use it until it expires, and read the events \(use https:\/\/\)$/m,
  );
  assert.ok(path.requests.length > 0, "events did not ask at all");
  for (const request of path.requests) {
    assert.equal(request.headers.get("host"), "hooks.example.com:8000");
    const bearer = /^Bearer (\S+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
    assert.ok(bearer, "the request carried its token in the clear");
    assert.ok(!result.stderr.includes(bearer) && !result.stdout.includes(bearer), "token printed");
  }
});

Deno.test("events --url to this machine over plain http says nothing about it", async () => {
  await using server = startRecordingServer(() => Response.json({ events: [] }));
  const result = await runCli(["events", "ls", "--url", new URL(server.url).origin], {
    env: TOKEN_ENV,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.ok(server.requests.length > 0, "events did not ask at all");
  assert.doesNotMatch(result.stderr, /warning|plain http/);
});

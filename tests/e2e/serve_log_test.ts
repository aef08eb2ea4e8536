/**
 * What `serve` prints on stderr, from the real subprocess: one line per
 * request, the hand-off's outcome with its retry plan and the agent's stderr
 * tail (redacted), and nothing of that with --quiet.
 */
import assert from "node:assert/strict";
import { type ServeProcess, startServe } from "../support/serve_process.ts";
import { eventually } from "../support/wait.ts";
import { postSigned } from "../support/signing.ts";

const SECRET = "serve-log-canary-" + crypto.randomUUID();
const ENV = { WEBHOOK_SECRET: SECRET };
const GITHUB_TOKEN = "ghp_" + "a".repeat(36);

function post(server: ServeProcess, body: string, secret = SECRET): Promise<Response> {
  return postSigned(server.url, body, secret);
}

async function serving(args: string[]): Promise<ServeProcess & AsyncDisposable> {
  const server = await startServe({ env: ENV, args });
  return Object.assign(server, { [Symbol.asyncDispose]: () => server.stop().then(() => {}) });
}

Deno.test("serve prints one readable line per request and the hand-off's retry plan, dead letter and redacted stderr", async () => {
  await using server = await serving([
    "--exec",
    `echo "calling api with ${GITHUB_TOKEN}" >&2; exit 3`,
    "--exec-attempts",
    "2",
    "--no-trace",
  ]);
  assert.match(
    server.stderr(),
    /listening on http:\/\/\S+ routes: POST \/webhook \(hookgate, WEBHOOK_SECRET\)/,
  );
  await (await post(server, '{"id":"e1"}')).text();
  await (await post(server, '{"id":"e1"}')).text();
  await (await post(server, '{"id":"e2"}', "not-the-secret-0123456789")).text();
  await eventually("the event is a dead letter", () => /dead letter/.test(server.stderr()));
  const err = server.stderr();
  assert.match(err, /\d\d:\d\d:\d\d 200 POST \/webhook accepted id:e1\n/);
  assert.match(err, / 200 POST \/webhook duplicate-ignored id:e1\n/);
  assert.match(err, / 401 POST \/webhook bad signature\n/);
  assert.match(err, /agent exit 3, retry 2\/2 in [0-9.]+ m?s webhook\/id:e1/);
  assert.match(err, /agent exit 3, dead letter after 2 attempts webhook\/id:e1/);
  assert.match(err, /│ calling api with /);
  assert.ok(!err.includes(GITHUB_TOKEN), "the agent's stderr is redacted");
});

Deno.test("serve --quiet prints no request lines; --log-format json prints JSON lines", async () => {
  {
    await using quiet = await serving(["--quiet", "--no-trace"]);
    await (await post(quiet, '{"id":"q1"}')).text();
    await eventually("the event is printed", () => quiet.stdout().includes('"q1"'));
    assert.doesNotMatch(quiet.stderr(), /\d\d:\d\d:\d\d \d{3} POST/);
  }
  await using json = await serving(["--log-format", "json", "--no-trace"]);
  await (await post(json, '{"id":"j1"}')).text();
  await eventually("the request line", () => json.stderr().includes('"type":"request"'));
  const line = json.stderr().split("\n").find((text) => text.includes('"type":"request"'));
  const parsed = JSON.parse(line as string);
  assert.equal(parsed.status, 200);
  assert.equal(parsed.outcome, "accepted");
  assert.equal(parsed.key, "id:j1");
});

Deno.test("serve's verified lines on stdout send no DEL or C1 control of a payload to the terminal", async () => {
  await using server = await serving(["--no-trace"]);
  // A payload field anyone could write (an issue title): 8-bit CSI, OSC and DEL as JSON escapes.
  const title = "t\u009b2J\u009d0;owned\u0007\u007fx";
  const body = JSON.stringify({ id: "c1", title });
  await (await post(server, body)).text();
  await eventually("the event is printed", () => server.stdout().includes('"c1"'));
  const out = server.stdout();
  assert.doesNotMatch(out, /[\x7f-\x9f]/, "no DEL or C1 control reaches stdout raw");
  const line = out.split("\n").find((text) => text.includes('"c1"')) as string;
  assert.deepEqual(JSON.parse(line), { event: "verified", id: "c1", payload: { id: "c1", title } });
});

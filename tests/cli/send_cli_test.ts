import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import denoConfig from "../../deno.json" with { type: "json" };
import { runCli } from "../support/cli.ts";
import {
  closedPort,
  type RecordedRequest,
  startRecordingServer,
} from "../support/recording_server.ts";
import { startServe } from "../support/serve_process.ts";
import { tempDir } from "../support/temp_dir.ts";

const SECRET = "send-cli-test-secret-0123456789";
const ENV = { WEBHOOK_SECRET: SECRET };
const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function independentlyValid(request: RecordedRequest, secret = SECRET): boolean {
  const ts = request.headers.get("x-timestamp") ?? "";
  const expected = createHmac("sha256", secret).update(`${ts}.`).update(request.body).digest(
    "hex",
  );
  return request.headers.get("x-signature") === expected;
}

const accepted = () => Response.json({ status: "accepted" });

Deno.test("send delivers --data signed and prints '<status> <body>'", async () => {
  await using server = startRecordingServer(accepted);
  const result = await runCli(["send", server.url, "--data", '{"id":"e42","event":"push"}'], {
    env: ENV,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, '200 {"status":"accepted"}\n');
  const [request] = server.requests;
  if (!request) throw new Error("nothing received");
  assert.equal(decode(request.body), '{"id":"e42","event":"push"}');
  assert.equal(independentlyValid(request), true);
  assert.equal(request.headers.get("content-type"), "application/json");
  assert.equal(request.headers.get("user-agent"), `hookgate/${denoConfig.version}`);
  const ts = Number(request.headers.get("x-timestamp"));
  assert.ok(Math.abs(ts - Date.now() / 1000) < 60);
  assert.doesNotMatch(result.stderr, /warning/);
});

Deno.test("send --file sends CRLF, unicode and odd spacing byte for byte", async () => {
  await using temp = await tempDir("hookgate-send-");
  const dir = temp.path;
  const payload = encode(
    '\r\n{ "id" :\t"e7" ,\r\n  "text" : "h\u00e9llo \u2713 \ud83d\ude00 \\u00e9",\r\n' +
      '  "n":1.50E+3 , "empty":{ } }\r\n\r\n',
  );
  await Deno.writeFile(`${dir}/event.json`, payload);
  await using server = startRecordingServer(accepted);
  const result = await runCli(["send", server.url, "--file", "event.json"], {
    env: ENV,
    cwd: dir,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(server.requests[0]?.body, payload);
  assert.equal(independentlyValid(server.requests[0] as RecordedRequest), true);
});

Deno.test("send adds a missing id as the first member, says so, and changes no other byte", async () => {
  const original = '{\n  "event": "push",\r\n  "note": "caf\u00e9"\n}';
  await using server = startRecordingServer(accepted);
  const result = await runCli(["send", server.url, "--verbose"], { env: ENV, stdin: original });
  assert.equal(result.code, 0, result.stderr);
  const sent = server.requests[0]?.body ?? new Uint8Array();
  const id = JSON.parse(decode(sent)).id;
  assert.match(id, /^evt_[a-z2-7]{24}$/);
  assert.match(result.stderr, new RegExp(`added "id":"${id}"`));
  const member = encode(`"id":"${id}",`);
  const at = 4; // after "{\n  "
  assert.deepEqual(sent.subarray(at, at + member.length), member);
  const rest = new Uint8Array([...sent.subarray(0, at), ...sent.subarray(at + member.length)]);
  assert.deepEqual(rest, encode(original));
});

Deno.test("send --id sets the id of a payload that has none", async () => {
  await using server = startRecordingServer(accepted);
  const result = await runCli(["send", server.url, "--data", '{"event":"push"}', "--id", "e99"], {
    env: ENV,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    decode(server.requests[0]?.body ?? new Uint8Array()),
    '{"id":"e99","event":"push"}',
  );
});

Deno.test("send --id that contradicts the payload's id exits 65 and sends nothing", async () => {
  await using server = startRecordingServer(accepted);
  const result = await runCli(["send", server.url, "--data", '{"id":"e1"}', "--id", "e2"], {
    env: ENV,
  });
  assert.equal(result.code, 65);
  assert.match(result.stderr, /--id 'e2' differs/);
  assert.equal(server.requests.length, 0);
});

for (const payload of ["[1,2]", '"text"', "not json", ""]) {
  Deno.test(`send exits 65 for a payload that is not a JSON object: ${JSON.stringify(payload)}`, async () => {
    await using server = startRecordingServer(accepted);
    const result = await runCli(["send", server.url, "--data", payload], { env: ENV });
    assert.equal(result.code, 65, result.stderr);
    assert.match(result.stderr, /JSON object|not valid JSON|empty/);
    assert.equal(server.requests.length, 0);
  });
}

Deno.test("send exits 78 naming WEBHOOK_SECRET when the secret is missing, and where to run it", async () => {
  await using server = startRecordingServer(accepted);
  const result = await runCli(["send", server.url, "--data", '{"id":"e1"}']);
  assert.equal(result.code, 78);
  assert.match(result.stderr, /WEBHOOK_SECRET is not set \(send reads it from \/.*\/\.env or/);
  assert.match(result.stderr, /run send in the directory of the receiver's \.env/);
  // init would make a new secret here, one the receiver does not know: every send a 401.
  assert.doesNotMatch(result.stderr, /hookgate init/);
  assert.equal(server.requests.length, 0);
});

Deno.test("send --secret-var reads another variable and never prints its value", async () => {
  const secret = "rotated-key-value-9876543210";
  await using server = startRecordingServer(() => new Response(`no: ${secret}`, { status: 401 }));
  const result = await runCli([
    "send",
    server.url,
    "--data",
    '{"id":"e1"}',
    "--secret-var",
    "HOOK_KEY",
  ], {
    env: { HOOK_KEY: secret },
  });
  assert.equal(result.code, 1);
  assert.equal(independentlyValid(server.requests[0] as RecordedRequest, secret), true);
  assert.equal(result.stdout, "401 no: ***redacted***\n");
  assert.ok(!result.stderr.includes(secret));
});

Deno.test("send exits 69 when the receiver is unreachable", async () => {
  const url = `http://127.0.0.1:${closedPort()}/webhook`;
  const result = await runCli(["send", url, "--data", '{"id":"e1"}', "--retries", "0"], {
    env: ENV,
  });
  assert.equal(result.code, 69);
  assert.match(result.stderr, /attempt 1\/1: unreachable \(connection refused\)/);
  assert.match(
    result.stderr,
    /connection refused — is the receiver running at http:\/\/127\.0\.0\.1:\d+\?/,
  );
  assert.equal(result.stdout, "");
});

Deno.test("send to https:// of a plain-http receiver says to use http://, at once and not as a TLS record type", async () => {
  await using server = startRecordingServer(accepted);
  const url = server.url.replace("http://", "https://");
  // Retries left, and no wait between them: asking again cannot help, so there is one attempt.
  const result = await runCli(["send", url, "--data", '{"id":"e1"}', "--retries", "3"], {
    env: ENV,
  });
  assert.equal(result.code, 69, result.stderr);
  assert.match(
    result.stderr,
    /could not deliver to https:\/\/127\.0\.0\.1:\d+\/webhook after 1 attempt: the server answered in plain HTTP, not TLS: use an http:\/\/ URL/,
  );
  assert.doesNotMatch(result.stderr, /InvalidContentType|corrupt message/);
  assert.equal(server.requests.length, 0, "nothing was delivered");
});

Deno.test("send reports each attempt on stderr and retries a 503", async () => {
  await using server = startRecordingServer((_r, index) =>
    index === 0
      ? new Response("busy", { status: 503, headers: { "retry-after": "0" } })
      : accepted()
  );
  const result = await runCli(["send", server.url, "--data", '{"id":"e1"}'], { env: ENV });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /^attempt 1\/6: 503, retrying in 0\.0 s$/m);
  assert.match(result.stderr, /^attempt 2\/6: 200$/m);
  assert.equal(server.requests.length, 2);
});

Deno.test("send stops at once when the receiver asks to be retried later than --max-elapsed allows", async () => {
  await using server = startRecordingServer(() =>
    new Response("maintenance", { status: 503, headers: { "retry-after": "3600" } })
  );
  const started = Date.now();
  const result = await runCli(["send", server.url, "--data", '{"id":"e1"}'], { env: ENV });
  assert.equal(result.code, 1, result.stderr);
  assert.match(
    result.stderr,
    /the receiver answered 503 and asked to be retried in 60 min \(Retry-After\), later than --max-elapsed allows: send again then/,
  );
  assert.equal(server.requests.length, 1, "no attempt against the receiver's word");
  assert.ok(Date.now() - started < 30_000, "the budget was not waited out");
});

Deno.test("send exits 1 on a final non-2xx and prints it", async () => {
  await using server = startRecordingServer(() => new Response("bad signature", { status: 401 }));
  const result = await runCli(["send", server.url, "--data", '{"id":"e1"}'], { env: ENV });
  assert.equal(result.code, 1);
  assert.equal(result.stdout, "401 bad signature\n");
  assert.equal(server.requests.length, 1);
});

Deno.test("send's advice for a refusal fits its status: a secret for 401, the path for 404", async () => {
  await using server = startRecordingServer((request) =>
    request.path === "/webhook"
      ? Response.json({ error: "bad signature" }, { status: 401 })
      : Response.json({ error: "not found" }, { status: 404 })
  );
  const unsigned = await runCli(["send", server.url, "--data", '{"id":"e1"}'], { env: ENV });
  assert.equal(unsigned.code, 1);
  assert.match(unsigned.stderr, /rejected the delivery with 401; not retried \(check the secret/);
  assert.doesNotMatch(unsigned.stderr, /path/);
  const lost = await runCli(["send", new URL("/hook", server.url).href, "--data", '{"id":"e2"}'], {
    env: ENV,
  });
  assert.equal(lost.code, 1);
  assert.equal(lost.stdout, '404 {"error":"not found"}\n');
  assert.match(lost.stderr, /rejected the delivery with 404; not retried \(no route .*path/);
  assert.match(lost.stderr, /POST \/webhook/);
  assert.doesNotMatch(lost.stderr, /secret/);
});

Deno.test("send reports a redirect instead of following it", async () => {
  await using target = startRecordingServer(accepted);
  await using redirector = startRecordingServer(() =>
    new Response(null, { status: 307, headers: { location: target.url } })
  );
  const result = await runCli(["send", redirector.url, "--data", '{"id":"e1"}'], { env: ENV });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /redirect to .*send to the final URL/);
  assert.equal(target.requests.length, 0);
});

Deno.test("send warns about plain http:// to a host that is not loopback", async () => {
  const result = await runCli(
    ["send", "http://receiver.invalid/webhook", "--data", '{"id":"e1"}', "--retries", "0"],
    { env: ENV },
  );
  assert.match(result.stderr, /warning: plain http:\/\/ to receiver\.invalid/);
  assert.equal(result.code, 69);
});

Deno.test("send rejects bad usage with 64", async () => {
  for (
    const args of [
      [],
      ["http://127.0.0.1:9/webhook", "--scheme", "nope"],
      ["ftp://127.0.0.1/webhook"],
      ["http://127.0.0.1:9/webhook", "--retries", "-1"],
      ["http://127.0.0.1:9/webhook", "--timeout", "soon"],
      ["http://127.0.0.1:9/webhook", "--data", "{}", "--file", "x.json"],
    ]
  ) {
    const result = await runCli(["send", ...args], { env: ENV });
    assert.equal(result.code, 64, `${args.join(" ")}: ${result.stderr}`);
  }
});

Deno.test("send → serve: accepted, then the same id is duplicate-ignored", async () => {
  await using dir = await tempDir("hookgate-send-serve-");
  await using serve = await startServe({ env: ENV, cwd: dir.path });
  const url = `${serve.url}/webhook`;
  const args = ["send", url, "--data", '{"event":"push","repo":"demo"}', "--id", "e42"];
  const first = await runCli(args, { env: ENV });
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, '200 {"status":"accepted"}\n');
  const second = await runCli(args, { env: ENV });
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout, '200 {"status":"duplicate-ignored"}\n');
});

Deno.test("send → serve: a payload over --max-body-bytes is a 413, not retried as unreachable", async () => {
  await using dir = await tempDir("hookgate-send-serve-");
  await using serve = await startServe({
    env: ENV,
    cwd: dir.path,
    args: ["--max-body-bytes", "1024"],
  });
  const payload = JSON.stringify({ id: "big1", pad: "a".repeat(4 * 1024 * 1024) });
  await Deno.writeTextFile(`${dir.path}/big.json`, payload);
  const result = await runCli(
    ["send", `${serve.url}/webhook`, "--file", "big.json", "--max-elapsed", "20s"],
    { env: ENV, cwd: dir.path },
  );
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stdout, /^413 /);
  assert.match(result.stderr, /--max-body-bytes/);
  assert.doesNotMatch(result.stderr, /unreachable|retrying|attempt 2/);
});

Deno.test("send to a route of .env signed differently names the --scheme and --secret-var it needs", async () => {
  await using server = startRecordingServer(() =>
    Response.json({ error: "bad signature" }, { status: 401 })
  );
  const github = new URL("/github", server.url).href;
  const env = {
    ...ENV,
    HOOKGATE_ROUTES: "/webhook=hookgate:WEBHOOK_SECRET,/github=github:GITHUB_WEBHOOK_SECRET",
    GITHUB_WEBHOOK_SECRET: "send-cli-test-github-secret-0123456789",
  };
  const refused = await runCli(["send", github, "--data", "{}"], { env });
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /the route \/github in \.env is github with GITHUB_WEBHOOK_SECRET: send with --scheme github --secret-var GITHUB_WEBHOOK_SECRET/,
  );
  const own = await runCli(["send", server.url, "--data", "{}"], { env });
  assert.equal(own.code, 1);
  assert.doesNotMatch(
    own.stderr,
    /send with --scheme/,
    "the /webhook route matches the defaults",
  );
  const svix = await runCli(["send", github, "--scheme", "standard", "--data", "{}"], {
    env: { ...env, HOOKGATE_ROUTES: "/github=standard:SVIX_SECRET" },
  });
  assert.equal(svix.code, 78);
  assert.match(svix.stderr, /whsec_[\s\S]*send with --scheme standard --secret-var SVIX_SECRET/);
});

Deno.test("send spells out control characters in the receiver's answer", async () => {
  // The receiver is any server --url names: its body must not drive the operator's terminal.
  const hostile = "ok\x1b]0;owned\x07\x1b[2J\nFAKE line\x9b31m";
  await using server = startRecordingServer(() => new Response(hostile, { status: 200 }));
  const result = await runCli(["send", server.url, "--data", '{"id":"e1"}'], { env: ENV });
  assert.equal(result.code, 0, result.stderr);
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(result.stdout.replace(/\n$/, ""), /[\x00-\x1f\x7f-\x9f]/);
  assert.equal(result.stdout, "200 ok\\x1b]0;owned\\x07\\x1b[2J\\nFAKE line\\x9b31m\n");
});

Deno.test("send spells out a C1 control in a redirect's Location", async () => {
  // Header bytes 0x80-0xff arrive as the characters U+0080-U+00FF: 0x9b is a terminal's CSI.
  await using redirector = startRecordingServer(() =>
    new Response(null, { status: 302, headers: { location: "http://x.test/\x9b2J" } })
  );
  const result = await runCli(["send", redirector.url, "--data", '{"id":"e1"}'], { env: ENV });
  assert.equal(result.code, 1, result.stderr);
  assert.doesNotMatch(result.stderr, /[\x7f-\x9f]/);
  assert.match(result.stderr, /redirect to http:\/\/x\.test\/\\x9b2J/);
});

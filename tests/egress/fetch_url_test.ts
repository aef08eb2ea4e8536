import assert from "node:assert/strict";
import { exitCodeForFetch } from "../../lib/cli/fetch.ts";
import {
  answered,
  type EgressPolicy,
  fetchUrl,
  type HopOutcome,
  type HopRequest,
  type HopTransport,
  MAX_REDIRECTS,
  parseEgressPolicy,
  reasonWithRemedy,
  resolvedAddresses,
} from "../../lib/egress/mod.ts";
import { ExitCode } from "../../lib/cli/mod.ts";
import {
  closedPort,
  startRecordingServer,
  startSilentServer,
} from "../support/recording_server.ts";

function policyOf(env: Record<string, string>): EgressPolicy {
  const parsed = parseEgressPolicy(env);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** Loopback servers are reachable only through `http://localhost:PORT` entries plus EGRESS_ALLOW_PRIVATE. */
function localPolicy(...ports: number[]): EgressPolicy {
  return policyOf({
    EGRESS_ALLOW_HOSTS: ports.map((port) => `http://localhost:${port}`).join(","),
    EGRESS_ALLOW_PRIVATE: "localhost",
  });
}

Deno.test("fetchUrl() returns status, body and bytes from an allowed host", async () => {
  await using server = startRecordingServer(() => new Response("hello from the allowlist"));
  const port = portOf(server.url);
  const result = await fetchUrl(`http://localhost:${port}/zen`, { policy: localPolicy(port) });
  assert.ok(result.ok, result.ok ? "" : result.error);
  assert.equal(result.status, 200);
  assert.equal(result.body, "hello from the allowlist");
  assert.equal(result.bytes, 24);
  assert.equal(result.truncated, false);
  assert.equal("error" in result, false);
  assert.equal(server.requests[0]?.path, "/zen");
});

Deno.test("fetchUrl() returns a non-2xx as an error value with the body", async () => {
  await using server = startRecordingServer(() => new Response("not here", { status: 404 }));
  const port = portOf(server.url);
  const result = await fetchUrl(`http://localhost:${port}/missing`, {
    policy: localPolicy(port),
  });
  assert.equal(result.ok, false);
  assert.equal(result.failure, "status");
  assert.equal(result.status, 404);
  assert.equal(result.error, "HTTP 404");
  assert.ok(answered(result));
  assert.equal(result.body, "not here");
  assert.equal(exitCodeForFetch(result), ExitCode.failed);
});

Deno.test("fetchUrl() returns a refused connection as a network error value", async () => {
  const port = closedPort();
  const result = await fetchUrl(`http://localhost:${port}/`, { policy: localPolicy(port) });
  assert.equal(result.ok, false);
  assert.equal(result.failure, "network");
  assert.equal(exitCodeForFetch(result), ExitCode.unavailable);
});

Deno.test("fetchUrl() refuses a redirect to an unlisted host at the hop", async () => {
  await using target = startRecordingServer(() => new Response("stolen"));
  const targetPort = portOf(target.url);
  await using origin = startRecordingServer(() =>
    new Response(null, { status: 302, headers: { location: `http://localhost:${targetPort}/x` } })
  );
  const port = portOf(origin.url);
  const result = await fetchUrl(`http://localhost:${port}/`, { policy: localPolicy(port) });
  assert.equal(result.ok, false);
  assert.equal(result.failure, "denied");
  assert.match(
    result.ok ? "" : result.error,
    /^egress to 'localhost' denied; allowed: \["http:\/\/localhost:/,
  );
  assert.equal(result.redirects, 1);
  assert.equal(origin.requests.length, 1);
  assert.equal(target.requests.length, 0, "the unlisted host must not be contacted");
});

Deno.test("fetchUrl() follows a redirect to another listed host", async () => {
  await using target = startRecordingServer(() => new Response("arrived"));
  const targetPort = portOf(target.url);
  await using origin = startRecordingServer(() =>
    new Response(null, { status: 301, headers: { location: `http://localhost:${targetPort}/x` } })
  );
  const port = portOf(origin.url);
  const result = await fetchUrl(`http://localhost:${port}/`, {
    policy: localPolicy(port, targetPort),
  });
  assert.ok(result.ok, result.ok ? "" : result.error);
  assert.equal(result.body, "arrived");
  assert.equal(result.redirects, 1);
  assert.equal(result.url, `http://localhost:${targetPort}/x`);
});

Deno.test(`fetchUrl() gives up after ${MAX_REDIRECTS} redirects`, async () => {
  await using server = startRecordingServer((_request, index) =>
    new Response(null, { status: 307, headers: { location: `/hop${index + 1}` } })
  );
  const port = portOf(server.url);
  const result = await fetchUrl(`http://localhost:${port}/`, { policy: localPolicy(port) });
  assert.equal(result.failure, "redirects");
  assert.equal(server.requests.length, MAX_REDIRECTS + 1);
  assert.equal(exitCodeForFetch(result), ExitCode.failed);
});

/** A transport standing in for the network, with DNS answering a public address. */
function fakeNetwork(answer: (request: HopRequest, index: number) => HopOutcome) {
  const requests: HopRequest[] = [];
  const transport: HopTransport = (request) => {
    requests.push(request);
    return Promise.resolve(answer(request, requests.length - 1));
  };
  return { requests, transport };
}

function response(status: number, location: string | null, text = ""): HopOutcome {
  const body = new TextEncoder().encode(text);
  return { kind: "response", status, location, body, bytesRead: body.length, truncated: false };
}

Deno.test("fetchUrl() refuses an https to http redirect, even to a listed http entry", async () => {
  const network = fakeNetwork(() => response(302, "http://dual.example.org/plain"));
  const result = await fetchUrl("https://dual.example.org/", {
    policy: policyOf({ EGRESS_ALLOW_HOSTS: "dual.example.org,http://dual.example.org" }),
    transport: network.transport,
    resolveAddresses: () => Promise.resolve(["93.184.215.14"]),
  });
  assert.equal(result.failure, "denied");
  assert.match(result.reason ?? "", /downgrade/);
  assert.deepEqual(network.requests.map((r) => r.url), ["https://dual.example.org/"]);
});

Deno.test("fetchUrl() passes the allowlist, and only it, as the hop's net permission", async () => {
  let seen: string[] = [];
  const result = await fetchUrl("https://api.github.com/zen", {
    policy: policyOf({ EGRESS_ALLOW_HOSTS: "api.github.com,*.githubusercontent.com" }),
    transport: (_request, options) => {
      seen = options.netPermissions;
      return Promise.resolve(response(200, null, "ok"));
    },
    resolveAddresses: () => Promise.resolve(["140.82.112.6"]),
  });
  assert.equal(result.ok, true);
  assert.deepEqual(seen, ["api.github.com:443", "*.githubusercontent.com:443"]);
});

const PRIVATE_ANSWERS: [string, string[]][] = [
  ["RFC 1918", ["10.0.0.5"]],
  ["cloud metadata", ["169.254.169.254"]],
  ["CGNAT", ["100.64.1.1"]],
  ["one private among public", ["93.184.215.14", "192.168.1.10"]],
  ["IPv6 loopback", ["::1"]],
  ["IPv4-mapped", ["::ffff:127.0.0.1"]],
  ["NAT64 around metadata", ["64:ff9b::a9fe:a9fe"]],
  ["6to4 around RFC 1918", ["2002:a00:5::1"]],
  ["unique-local", ["fd12:3456::1"]],
];

for (const [about, addresses] of PRIVATE_ANSWERS) {
  Deno.test(`fetchUrl() refuses a listed host that resolves to ${about}`, async () => {
    const network = fakeNetwork(() => response(200, null, "secret"));
    const result = await fetchUrl("https://api.github.com/zen", {
      policy: policyOf({ EGRESS_ALLOW_HOSTS: "api.github.com" }),
      transport: network.transport,
      resolveAddresses: () => Promise.resolve(addresses),
    });
    assert.equal(result.failure, "denied");
    assert.match(
      result.failure === "denied" ? reasonWithRemedy(result) : "",
      /EGRESS_ALLOW_PRIVATE/,
    );
    assert.doesNotMatch(
      result.reason ?? "",
      /EGRESS_ALLOW_PRIVATE/,
      "the remedy is the operator's",
    );
    assert.equal(network.requests.length, 0, "nothing may be requested");
  });
}

Deno.test("fetchUrl() requests a listed host that resolves only to public addresses", async () => {
  const network = fakeNetwork(() => response(200, null, "fine"));
  const result = await fetchUrl("https://api.github.com/zen", {
    policy: policyOf({ EGRESS_ALLOW_HOSTS: "api.github.com" }),
    transport: network.transport,
    resolveAddresses: () => Promise.resolve(["140.82.112.6", "2606:50c0:8000::154"]),
  });
  assert.equal(result.ok, true);
  assert.equal(network.requests.length, 1);
});

Deno.test("fetchUrl() reports a name that does not resolve as a network error", async () => {
  const network = fakeNetwork(() => response(200, null, "fine"));
  const result = await fetchUrl("https://api.github.com/zen", {
    policy: policyOf({ EGRESS_ALLOW_HOSTS: "api.github.com" }),
    transport: network.transport,
    resolveAddresses: () => Promise.resolve([]),
  });
  assert.equal(result.failure, "network");
  assert.equal(network.requests.length, 0);
});

Deno.test("fetchUrl() refuses localhost on the list but not in EGRESS_ALLOW_PRIVATE", async () => {
  await using server = startRecordingServer(() => new Response("local secret"));
  const port = portOf(server.url);
  const result = await fetchUrl(`http://localhost:${port}/`, {
    policy: policyOf({ EGRESS_ALLOW_HOSTS: `http://localhost:${port}` }),
  });
  assert.equal(result.failure, "denied");
  assert.match(result.reason ?? "", /resolves to 127\.0\.0\.1 \(loopback\)/);
  assert.equal(server.requests.length, 0);
  assert.equal(exitCodeForFetch(result), ExitCode.denied);
});

Deno.test("fetchUrl() refuses a *.localhost name as loopback without asking DNS", async () => {
  let asked = 0;
  const result = await fetchUrl("https://app.localhost/", {
    policy: policyOf({ EGRESS_ALLOW_HOSTS: "app.localhost" }),
    resolveAddresses: () => {
      asked++;
      return Promise.resolve(["93.184.215.14"]);
    },
    transport: () => Promise.reject(new Error("must not be called")),
  });
  assert.equal(result.failure, "denied");
  assert.equal(asked, 0);
});

Deno.test("Deno's net permission refuses a host the code check let through (NotCapable → 77)", async () => {
  await using server = startRecordingServer(() => new Response("should never be read"));
  const listedPort = closedPort();
  const port = portOf(server.url);
  // The seam switches the code-level checks off: only the Worker's permission is left.
  const result = await fetchUrl(`http://127.0.0.1:${port}/`, {
    policy: localPolicy(listedPort),
    unsafeSkipCodeChecksForTests: true,
  });
  assert.equal(result.ok, false);
  assert.equal(result.failure, "denied");
  assert.match(result.reason ?? "", /NotCapable/);
  assert.equal(
    result.error,
    `egress to '127.0.0.1' denied; allowed: ["http://localhost:${listedPort}"]`,
  );
  assert.equal(server.requests.length, 0, "the permission layer must stop the request");
  assert.equal(exitCodeForFetch(result), ExitCode.denied);
});

Deno.test("Deno's net permission refuses an unlisted port on a listed host", async () => {
  await using server = startRecordingServer(() => new Response("should never be read"));
  const listedPort = closedPort();
  const port = portOf(server.url);
  const result = await fetchUrl(`http://localhost:${port}/`, {
    policy: localPolicy(listedPort),
    unsafeSkipCodeChecksForTests: true,
  });
  assert.equal(result.failure, "denied");
  assert.equal(server.requests.length, 0);
});

/** A server whose body is 10 MB, produced chunk by chunk as the client reads. */
function startBigBodyServer(totalBytes: number, chunkBytes: number) {
  const chunk = new Uint8Array(chunkBytes).fill(0x61);
  let producedBytes = 0;
  return startRecordingServer(() => {
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (producedBytes >= totalBytes) return controller.close();
        producedBytes += chunk.length;
        controller.enqueue(chunk);
      },
    });
    return new Response(body);
  });
}

Deno.test("fetchUrl() cuts a 10 MB body at the byte cap and stops reading", async () => {
  const maxBytes = 64 * 1024;
  await using server = startBigBodyServer(10 * 1024 * 1024, 16 * 1024);
  const port = portOf(server.url);
  const result = await fetchUrl(`http://localhost:${port}/big`, {
    policy: localPolicy(port),
    maxBytes,
    maxChars: 1_000_000,
  });
  assert.ok(result.ok, result.ok ? "" : result.error);
  assert.equal(result.truncated, true);
  assert.equal(result.body.length, maxBytes);
  // Reading stops at the cap plus at most one read of the HTTP client (well under 1 MB).
  assert.ok(result.bytes >= maxBytes, `read ${result.bytes}`);
  assert.ok(result.bytes <= maxBytes + 256 * 1024, `read ${result.bytes}`);
});

Deno.test("fetchUrl() cuts the text to maxChars and says so", async () => {
  await using server = startRecordingServer(() => new Response("x".repeat(100)));
  const port = portOf(server.url);
  const result = await fetchUrl(`http://localhost:${port}/`, {
    policy: localPolicy(port),
    maxChars: 10,
  });
  assert.ok(answered(result));
  assert.equal(result.body, "x".repeat(10));
  assert.equal(result.truncated, true);
  assert.equal(result.bytes, 100);
});

Deno.test("fetchUrl() drops a character split by the byte cap instead of mangling it", async () => {
  await using server = startRecordingServer(() => new Response("é".repeat(10)));
  const port = portOf(server.url);
  const result = await fetchUrl(`http://localhost:${port}/`, {
    policy: localPolicy(port),
    maxBytes: 5,
  });
  assert.ok(answered(result));
  assert.equal(result.body, "éé");
  assert.equal(result.truncated, true);
});

Deno.test("fetchUrl() times out on a server that never answers", async () => {
  await using server = startSilentServer(() => new Response("too late"));
  const port = portOf(server.url);
  const result = await fetchUrl(`http://localhost:${port}/`, {
    policy: localPolicy(port),
    timeoutMs: 300,
  });
  assert.equal(result.ok, false);
  assert.equal(result.failure, "timeout");
  assert.equal(exitCodeForFetch(result), ExitCode.unavailable);
});

Deno.test("fetchUrl() times out on a body that stalls after the headers", async () => {
  let stop = () => {};
  await using server = startRecordingServer(() => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("first bytes"));
        stop = () => controller.close();
      },
    });
    return new Response(body);
  });
  // Disposed before the server: ends the stalled body so shutdown does not wait on it.
  using _endBody = { [Symbol.dispose]: () => stop() };
  const port = portOf(server.url);
  const result = await fetchUrl(`http://localhost:${port}/`, {
    policy: localPolicy(port),
    timeoutMs: 300,
  });
  assert.equal(result.failure, "timeout");
});

Deno.test("resolvedAddresses(): a failed AAAA lookup beside a public A answer is a failure, not the A answer alone", () => {
  const servfail = new Error("SERVFAIL");
  assert.throws(
    () =>
      resolvedAddresses([
        { status: "fulfilled", value: ["93.184.216.34"] },
        { status: "rejected", reason: servfail },
      ]),
    /SERVFAIL/,
  );
  // "No such record" is an answer: the A addresses alone are what the name has.
  assert.deepEqual(
    resolvedAddresses([
      { status: "fulfilled", value: ["93.184.216.34"] },
      { status: "rejected", reason: new Deno.errors.NotFound("no AAAA") },
    ]),
    ["93.184.216.34"],
  );
});

Deno.test("fetchUrl() sends nothing once the caller's signal has aborted", async () => {
  await using server = startRecordingServer(() => new Response("must not be fetched"));
  const port = portOf(server.url);
  const result = await fetchUrl(`http://localhost:${port}/`, {
    policy: localPolicy(port),
    signal: AbortSignal.abort(),
  });
  assert.equal(result.ok, false);
  assert.equal(result.ok ? "" : result.error, "cancelled before a complete answer");
  assert.equal(server.requests.length, 0);
});

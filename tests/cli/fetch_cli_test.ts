import assert from "node:assert/strict";
import { runCli } from "../support/cli.ts";
import {
  closedPort,
  startRecordingServer,
  startSilentServer,
} from "../support/recording_server.ts";

function portOf(url: string): number {
  return Number(new URL(url).port);
}

function localEnv(port: number): Record<string, string> {
  return { EGRESS_ALLOW_HOSTS: `http://localhost:${port}`, EGRESS_ALLOW_PRIVATE: "localhost" };
}

Deno.test("hookgate fetch prints the body on stdout and status, bytes, cut on stderr", async () => {
  await using server = startRecordingServer(() => new Response("zen of the allowlist"));
  const port = portOf(server.url);
  const result = await runCli(["fetch", `http://localhost:${port}/zen`], { env: localEnv(port) });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "zen of the allowlist\n");
  assert.match(result.stderr, /status 200, 20 bytes read, body not cut/);
  assert.equal(server.requests[0]?.path, "/zen");
});

Deno.test("hookgate fetch cuts the body to --max-chars and says so", async () => {
  await using server = startRecordingServer(() => new Response("y".repeat(9000)));
  const port = portOf(server.url);
  const cut = await runCli(["fetch", `http://localhost:${port}/`, "--max-chars", "100"], {
    env: localEnv(port),
  });
  assert.equal(cut.code, 0, cut.stderr);
  assert.equal(cut.stdout, "y".repeat(100) + "\n");
  assert.match(cut.stderr, /9000 bytes read, body cut/);
  const byDefault = await runCli(["fetch", `http://localhost:${port}/`], { env: localEnv(port) });
  assert.equal(byDefault.stdout.length, 8000 + 1, "8000 characters by default");
});

Deno.test("hookgate fetch --json prints the tool result as one JSON object", async () => {
  await using server = startRecordingServer(() => new Response('{"a":1}'));
  const port = portOf(server.url);
  const result = await runCli(["fetch", "--json", `http://localhost:${port}/`], {
    env: localEnv(port),
  });
  assert.equal(result.code, 0, result.stderr);
  const parsed = JSON.parse(result.stdout);
  assert.equal(parsed.ok, true);
  assert.equal(parsed.status, 200);
  assert.equal(parsed.body, '{"a":1}');
  assert.equal(parsed.truncated, false);
  assert.equal(parsed.error, null);
});

Deno.test("hookgate fetch --json says why a host is denied, never how to widen the allowlist", async () => {
  await using server = startRecordingServer(() => new Response("secret"));
  const port = portOf(server.url);
  const result = await runCli(["fetch", "--json", `http://localhost:${port}/`], {
    env: { EGRESS_ALLOW_HOSTS: "api.github.com", EGRESS_ALLOW_PRIVATE: "localhost" },
  });
  assert.equal(result.code, 77);
  assert.equal(JSON.parse(result.stdout).failure, "denied");
  assert.match(result.stderr, /why: localhost is not on EGRESS_ALLOW_HOSTS$/m);
  assert.doesNotMatch(result.stdout + result.stderr, /to allow it|add localhost/);
  assert.equal(server.requests.length, 0);
});

Deno.test("hookgate fetch exits 1 on a non-2xx and still shows the body", async () => {
  await using server = startRecordingServer(() => new Response("rate limited", { status: 429 }));
  const port = portOf(server.url);
  const result = await runCli(["fetch", `http://localhost:${port}/`], { env: localEnv(port) });
  assert.equal(result.code, 1);
  assert.equal(result.stdout, "rate limited\n");
  assert.match(result.stderr, /HTTP 429/);
});

Deno.test("hookgate fetch denies an unlisted host with the denial message, exit 77, no request", async () => {
  await using server = startRecordingServer(() => new Response("secret"));
  const port = portOf(server.url);
  const result = await runCli(["fetch", `http://localhost:${port}/`], {
    env: {
      EGRESS_ALLOW_HOSTS: "api.github.com,api.weather.gov",
      EGRESS_ALLOW_PRIVATE: "localhost",
    },
  });
  assert.equal(result.code, 77);
  assert.equal(result.stdout, "");
  assert.match(
    result.stderr,
    /egress to 'localhost' denied; allowed: \["api\.github\.com","api\.weather\.gov"\]/,
  );
  assert.match(result.stderr, /to allow it, add localhost to EGRESS_ALLOW_HOSTS in \.env/);
  assert.equal(server.requests.length, 0);
});

Deno.test("hookgate fetch denies a listed localhost not in EGRESS_ALLOW_PRIVATE after resolution", async () => {
  await using server = startRecordingServer(() => new Response("secret"));
  const port = portOf(server.url);
  const result = await runCli(["fetch", `http://localhost:${port}/`], {
    env: { EGRESS_ALLOW_HOSTS: `http://localhost:${port}` },
  });
  assert.equal(result.code, 77);
  assert.match(result.stderr, /loopback/);
  assert.equal(server.requests.length, 0);
});

Deno.test("hookgate fetch with no allowlist denies and says how to allow a host", async () => {
  const result = await runCli(["fetch", "https://api.github.com/zen"]);
  assert.equal(result.code, 77);
  assert.match(result.stderr, /allowed: \[\]/);
  assert.match(result.stderr, /EGRESS_ALLOW_HOSTS=api\.github\.com/);
});

Deno.test("hookgate fetch exits 78 on an invalid allowlist entry, before any request", async () => {
  await using server = startRecordingServer(() => new Response("x"));
  const port = portOf(server.url);
  const result = await runCli(["fetch", `http://localhost:${port}/`], {
    env: { ...localEnv(port), EGRESS_ALLOW_HOSTS: `http://localhost:${port},*` },
  });
  assert.equal(result.code, 78);
  assert.match(result.stderr, /EGRESS_ALLOW_HOSTS entry '\*' is invalid/);
  assert.equal(server.requests.length, 0);
});

Deno.test("hookgate fetch exits 69 when the host refuses the connection", async () => {
  const port = closedPort();
  const result = await runCli(["fetch", `http://localhost:${port}/`], { env: localEnv(port) });
  assert.equal(result.code, 69);
});

Deno.test("hookgate fetch exits 69 when --timeout passes", async () => {
  await using server = startSilentServer(() => new Response("late"));
  const port = portOf(server.url);
  const result = await runCli(["fetch", `http://localhost:${port}/`, "--timeout", "300ms"], {
    env: localEnv(port),
  });
  assert.equal(result.code, 69);
  assert.match(result.stderr, /no complete answer within 300 ms/);
});

Deno.test("hookgate fetch without a URL or with a bad flag value is a usage error", async () => {
  assert.equal((await runCli(["fetch"])).code, 64);
  assert.equal((await runCli(["fetch", "https://a.example", "--max-chars", "0"])).code, 64);
  assert.equal((await runCli(["fetch", "https://a.example", "--timeout", "soon"])).code, 64);
});

Deno.test("hookgate fetch --help describes the allowlist and the exit codes", async () => {
  const result = await runCli(["fetch", "--help"]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /EGRESS_ALLOW_HOSTS/);
  assert.match(result.stdout, /--dry-run/);
  assert.match(result.stdout, /77 denied/);
});

Deno.test("hookgate fetch runs with read, env and net only (its trace written to .hookgate)", async () => {
  await using server = startRecordingServer(() => new Response("ok"));
  const port = portOf(server.url);
  const result = await runCli(["fetch", `http://localhost:${port}/`], {
    env: localEnv(port),
    permissions: ["--allow-read", "--allow-env", "--allow-net", "--allow-write=.hookgate"],
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "ok\n");
});

Deno.test("hookgate fetch reports Deno's --deny-net refusal of a resolved address as a denial", async () => {
  await using server = startRecordingServer(() => new Response("internal"));
  const port = portOf(server.url);
  // The code check lets localhost through (EGRESS_ALLOW_PRIVATE); Deno checks the resolved IP.
  const result = await runCli(["fetch", `http://localhost:${port}/`], {
    env: localEnv(port),
    permissions: [
      "--allow-read",
      "--allow-env",
      "--allow-net",
      "--allow-write=.hookgate",
      "--deny-net=127.0.0.0/8",
    ],
  });
  assert.equal(result.code, 77, result.stderr);
  assert.match(result.stderr, /egress to 'localhost' denied/);
  assert.match(result.stderr, /Deno's net permission refused it/);
  assert.equal(server.requests.length, 0);
});

Deno.test("hookgate fetch run by serve's agent without an allowlist says to pass it with --exec-env", async () => {
  const result = await runCli(["fetch", "--dry-run", "https://api.github.com/zen"], {
    env: { HOOKGATE_EVENT_ID: "e1", HOOKGATE_EVENT_KEY: "id:e1" },
  });
  assert.equal(result.code, 77);
  assert.match(result.stderr, /start serve with --exec-env EGRESS_ALLOW_HOSTS/);
  const outside = await runCli(["fetch", "--dry-run", "https://api.github.com/zen"]);
  assert.equal(outside.code, 77, outside.stderr);
  assert.match(outside.stderr, /egress to 'api\.github\.com' denied/);
  assert.doesNotMatch(outside.stderr, /--exec-env/, "only said to an agent");
});

Deno.test("hookgate fetch --json --dry-run gives an agent the reason of a denial, not its remedy", async () => {
  const result = await runCli(["fetch", "--json", "--dry-run", "https://example.com/"], {
    env: { EGRESS_ALLOW_HOSTS: "api.github.com" },
  });
  assert.equal(result.code, 77);
  assert.match(result.stdout, /denied host=example\.com/);
  assert.doesNotMatch(
    result.stdout + result.stderr,
    /EGRESS_ALLOW_HOSTS=|add example\.com|hookgate init/,
  );
});

Deno.test("hookgate fetch redacts a route's secret whatever its variable is called", async () => {
  const canary = "route-canary-" + crypto.randomUUID();
  await using server = startRecordingServer(() => new Response(`echoed: ${canary} (end)`));
  const port = portOf(server.url);
  const result = await runCli(["fetch", `http://localhost:${port}/`], {
    // GH_HOOK does not say "secret": only HOOKGATE_ROUTES says what it holds.
    env: { ...localEnv(port), HOOKGATE_ROUTES: "/github=github:GH_HOOK", GH_HOOK: canary },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.ok(!result.stdout.includes(canary), result.stdout);
  assert.ok(!result.stdout.includes(canary.slice(0, 20)), result.stdout);
  assert.match(result.stdout, /^echoed: .*redacted.* \(end\)\n$/);
});

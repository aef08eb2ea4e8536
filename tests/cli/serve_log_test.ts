import assert from "node:assert/strict";
import { tempDir } from "../support/temp_dir.ts";
import { watchHandoffs } from "../../lib/cli/handoff_watch.ts";
import { listeningLine } from "../../lib/cli/serve_listen.ts";
import {
  createServeLog,
  type HandoffReport,
  parseServeLogFlags,
  stderrTail,
  useColor,
} from "../../lib/cli/serve_log.ts";
import type { StoredEvent } from "../../lib/store/mod.ts";
import type { ExecReport } from "../../lib/handoff/mod.ts";
import type { RequestRecord } from "../../lib/receive/mod.ts";
import { SCHEMES } from "../../lib/schemes/mod.ts";

const NOON = Date.UTC(2026, 0, 1, 12, 0, 0);

function record(overrides: Partial<RequestRecord>): RequestRecord {
  return {
    type: "request",
    method: "POST",
    path: "/webhook",
    remoteAddress: "127.0.0.1",
    route: "webhook",
    status: 200,
    outcome: "accepted",
    key: "id:e42",
    id: "e42",
    bodyBytes: 10,
    durationMs: 1,
    ...overrides,
  };
}

function logInto(
  lines: string[],
  options: { json?: boolean; quiet?: boolean; now?: () => number } = {},
) {
  return createServeLog({
    format: options.json ? "json" : "text",
    quiet: options.quiet ?? false,
    color: false,
    write: (line) => lines.push(line),
    now: options.now ?? (() => NOON),
    refusalsPerWindow: 3,
    windowMs: 10_000,
  });
}

Deno.test("serve log: a refusal is one line with status, method, route and reason", () => {
  const lines: string[] = [];
  logInto(lines).request(record({ status: 401, outcome: "bad signature", key: null, id: null }));
  assert.equal(lines.length, 1);
  assert.match(lines[0] as string, /^\d\d:\d\d:\d\d 401 POST \/webhook bad signature$/);
});

Deno.test("serve log: a 404 names the routes there are", () => {
  const lines: string[] = [];
  const log = createServeLog({
    format: "text",
    quiet: false,
    color: false,
    write: (line) => lines.push(line),
    now: () => NOON,
    routePaths: ["/github", "/webhook"],
  });
  log.request(record({ path: "/hook", route: null, status: 404, outcome: "not found", key: null }));
  log.request(record({ status: 401, outcome: "bad signature", key: null, id: null }));
  assert.match(
    lines[0] as string,
    / 404 POST \/hook not found \(routes: POST \/github, POST \/webhook\)$/,
  );
  assert.match(lines[1] as string, / 401 POST \/webhook bad signature$/);
});

Deno.test("serve log: each line carries the local time of its own second", () => {
  const lines: string[] = [];
  let now = NOON + 100;
  const log = logInto(lines, { now: () => now });
  log.request(record({ id: "a" }));
  now = NOON + 900;
  log.request(record({ id: "b" }));
  now = NOON + 61_000;
  log.request(record({ id: "c" }));
  const clocks = lines.map((line) => line.slice(0, 8));
  const local = (ms: number) => new Date(ms).toTimeString().slice(0, 8);
  assert.deepEqual(clocks, [local(NOON), local(NOON), local(NOON + 61_000)]);
  assert.notEqual(clocks[2], clocks[0]);
});

Deno.test("serve log: a replay reads duplicate-ignored with its key", () => {
  const lines: string[] = [];
  logInto(lines).request(record({ outcome: "duplicate" }));
  assert.match(lines[0] as string, / 200 POST \/webhook duplicate-ignored id:e42$/);
});

Deno.test("serve log: --quiet prints no request and no hand-off line", () => {
  const lines: string[] = [];
  const log = logInto(lines, { quiet: true });
  log.request(record({}));
  log.handoff(handoff({ ok: true }));
  log.close();
  assert.deepEqual(lines, []);
});

Deno.test("serve log: --log-format json writes one parseable object per request", () => {
  const lines: string[] = [];
  logInto(lines, { json: true }).request(record({ status: 401, outcome: "bad signature" }));
  const parsed = JSON.parse(lines[0] as string);
  assert.equal(parsed.type, "request");
  assert.equal(parsed.status, 401);
  assert.equal(parsed.outcome, "bad signature");
  assert.equal(parsed.time, new Date(NOON).toISOString());
});

Deno.test("serve log: a flood of refusals is summarised, not printed line by line", () => {
  const lines: string[] = [];
  let now = NOON;
  const log = logInto(lines, { now: () => now });
  const refusal = record({ status: 401, outcome: "bad signature", key: null, id: null });
  for (let i = 0; i < 50; i++) log.request(refusal);
  log.request(record({ outcome: "accepted" }));
  assert.equal(lines.length, 4, "three refusals, then the accepted event");
  now += 10_000;
  log.request(refusal);
  assert.match(lines[4] as string, /… 47 more refusals not shown \(401 bad signature ×47\)/);
  assert.match(lines[5] as string, / 401 POST \/webhook bad signature$/);
  log.close();
});

Deno.test("serve log: a replay flood is summarised like refusals, accepted events still print", () => {
  const lines: string[] = [];
  let now = NOON;
  const log = logInto(lines, { now: () => now });
  for (let i = 0; i < 40; i++) log.request(record({ outcome: "duplicate" }));
  log.request(record({ outcome: "accepted", key: "id:e43", id: "e43" }));
  assert.equal(lines.length, 4, "three replays, then the accepted event");
  assert.match(lines[3] as string, / 200 POST \/webhook accepted id:e43$/);
  now += 10_000;
  log.close();
  assert.match(lines[4] as string, /… 37 more refusals not shown \(200 duplicate-ignored ×37\)/);
});

Deno.test("serve log: colour only when asked, and NO_COLOR or no terminal turns it off", () => {
  assert.equal(useColor({}, true), true);
  assert.equal(useColor({ NO_COLOR: "1" }, true), false);
  assert.equal(useColor({}, false), false);
  const lines: string[] = [];
  logInto(lines).request(record({}));
  assert.ok(!(lines[0] as string).includes("\u001b["), "no escape codes");
});

Deno.test("parseServeLogFlags() refuses an unknown --log-format", () => {
  assert.equal(parseServeLogFlags({ "log-format": "xml" }).ok, false);
  assert.deepEqual(parseServeLogFlags({ quiet: true }), {
    ok: true,
    value: { format: "text", quiet: true },
  });
});

function handoff(overrides: Partial<HandoffReport>): HandoffReport {
  return {
    route: "webhook",
    key: "id:e42",
    id: "e42",
    attempt: 1,
    maxAttempts: 5,
    ok: false,
    error: "exit 127",
    exitCode: 127,
    durationMs: 40,
    retryInMs: 2000,
    stderrTail: ["sh: agent: not found"],
    ...overrides,
  };
}

Deno.test("serve log: a failed hand-off states the retry plan and the agent's last stderr line", () => {
  const lines: string[] = [];
  logInto(lines).handoff(handoff({}));
  assert.match(lines[0] as string, /agent exit 127, retry 2\/5 in 2 s webhook\/id:e42/);
  assert.match(lines[1] as string, /│ sh: agent: not found$/);
});

Deno.test("serve log: the last failure is a dead letter with the command that redelivers it", () => {
  const lines: string[] = [];
  logInto(lines).handoff(handoff({ attempt: 5, retryInMs: null }));
  assert.match(lines[0] as string, /dead letter after 5 attempts/);
  assert.match(lines[0] as string, /hookgate events redeliver webhook\/id:e42/);
});

Deno.test("serve log: a sender's id in the redeliver command is quoted, so pasting the line runs nothing else", async () => {
  await using dir = await tempDir("hookgate-paste-");
  const marker = `${dir.path}/pwned`;
  const lines: string[] = [];
  const key = `id:x;touch ${marker};$(touch ${marker})'\`touch ${marker}\``;
  logInto(lines).handoff(handoff({ key, attempt: 5, retryInMs: null }));
  const command = (lines[0] as string).split("retry it with: ")[1] as string;
  // The pasted line, with `hookgate` replaced by a program that prints its arguments.
  const shell = new Deno.Command("/bin/sh", {
    args: ["-c", command.replace(/^hookgate /, "printf '%s\\n' ")],
    stdout: "piped",
  });
  const { stdout } = await shell.output();
  assert.deepEqual(new TextDecoder().decode(stdout).trimEnd().split("\n"), [
    "events",
    "redeliver",
    `webhook/${key}`,
  ]);
  assert.equal(await Deno.stat(marker).then(() => true, () => false), false, "nothing else ran");
});

/** C0 controls but tab, DEL and C1 controls: what a terminal acts on instead of showing. */
// deno-lint-ignore no-control-regex
const TERMINAL_CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;
/** A signed id or an agent's stderr can carry anything: a newline, a carriage return, escapes. */
const HOSTILE = "a\nforged 200 POST /webhook accepted\r\x1b[2J\x1b]0;title\x07\u009b31m\x00z";

Deno.test("serve log: a key with control characters is one line that shows them escaped", () => {
  const lines: string[] = [];
  const log = logInto(lines);
  log.request(record({ key: `id:${HOSTILE}`, id: HOSTILE }));
  log.handoff(handoff({ key: `id:${HOSTILE}`, attempt: 5, retryInMs: null, stderrTail: [] }));
  log.handoff(handoff({ key: `id:${HOSTILE}`, stderrTail: [] }));
  assert.equal(lines.length, 3);
  for (const line of lines) {
    assert.doesNotMatch(line, TERMINAL_CONTROLS);
    assert.match(line, /id:a\\nforged 200 POST \/webhook accepted\\r\\x1b\[2J/);
  }
});

Deno.test("serve log: an agent's stderr reaches the terminal with its control characters escaped, tabs kept", () => {
  const lines: string[] = [];
  logInto(lines).handoff(handoff({ stderrTail: stderrTail(`${HOSTILE}\n\ttabbed\x1b[0m\n`) }));
  // The first line, then the tail's three: HOSTILE's own newline splits it in two.
  assert.equal(lines.length, 4);
  for (const line of lines) assert.doesNotMatch(line, TERMINAL_CONTROLS);
  assert.match(lines[3] as string, /│ \ttabbed\\x1b\[0m$/);
});

Deno.test("serve log: --log-format json keeps a hostile key and stderr as JSON escapes", () => {
  const lines: string[] = [];
  const log = logInto(lines, { json: true });
  log.request(record({ key: `id:${HOSTILE}`, id: HOSTILE }));
  log.handoff(handoff({ key: `id:${HOSTILE}`, stderrTail: [HOSTILE] }));
  assert.equal(lines.length, 2);
  for (const line of lines) assert.doesNotMatch(line, TERMINAL_CONTROLS);
  assert.equal(JSON.parse(lines[0] as string).id, HOSTILE);
  assert.deepEqual(JSON.parse(lines[1] as string).stderrTail, [HOSTILE]);
});

Deno.test("stderrTail() keeps the last three non-empty lines", () => {
  assert.deepEqual(stderrTail("a\nb\n\nc\nd\n"), ["b", "c", "d"]);
});

function event(attempt: number): StoredEvent {
  return {
    route: "webhook",
    key: "id:e42",
    id: "e42",
    payload: new Uint8Array(),
    receivedAtMs: NOON,
    attempt,
    status: "pending",
    lastError: null,
  };
}

Deno.test("watchHandoffs(): the delay it prints is the delay it gives the store", async () => {
  const reports: HandoffReport[] = [];
  let draws = 0;
  const watch = watchHandoffs(() => Promise.resolve({ ok: false, error: "exit code 3" }), {
    maxAttempts: 3,
    retryDelayMs: () => 1000 + ++draws,
    report: (report) => reports.push(report),
    now: () => NOON,
  });
  watch.noteExec(
    {
      route: "webhook",
      key: "id:e42",
      attempt: 1,
      exitCode: 3,
      stderr: "boom\n",
      durationMs: 7,
    } as ExecReport,
  );
  await watch.handler(event(1));
  assert.equal(reports[0]?.retryInMs, 1001);
  assert.equal(reports[0]?.error, "exit 3");
  assert.deepEqual(reports[0]?.stderrTail, ["boom"]);
  assert.equal(watch.retryDelayMs(1), 1001);
  await watch.handler(event(3));
  assert.equal(reports[1]?.retryInMs, null, "the last attempt has no retry: a dead letter");
});

Deno.test("listeningLine() lists every route with its scheme and secret variable", () => {
  const line = listeningLine({ transport: "tcp", hostname: "127.0.0.1", port: 8000 }, [
    { path: "/webhook", scheme: SCHEMES.hookgate!, secretVar: "WEBHOOK_SECRET" },
    { path: "/github", scheme: SCHEMES.github!, secretVar: "GITHUB_WEBHOOK_SECRET" },
  ], { api: true });
  assert.equal(
    line,
    "hookgate: listening on http://127.0.0.1:8000/ routes: POST /webhook (hookgate, " +
      "WEBHOOK_SECRET), POST /github (github, GITHUB_WEBHOOK_SECRET), GET /events (bearer token)",
  );
});

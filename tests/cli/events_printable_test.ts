/**
 * `hookgate events` prints event keys and agents' errors as a terminal shows them: a key
 * (signed, but chosen by the sender) or an agent's error (which may echo a payload anyone
 * could write) cannot forge a line or send escape sequences to the reader's terminal.
 */
import assert from "node:assert/strict";
import { defaultStoreSpec, openStore, type SettleResult } from "../../lib/store/mod.ts";
import { runCli, startCli } from "../support/cli.ts";
import { closing } from "../support/closing.ts";
import { type TempDir, tempDir } from "../support/temp_dir.ts";
import { eventually } from "../support/wait.ts";
import { startRecordingServer } from "../support/recording_server.ts";

const HOSTILE_KEY = "id:a\x1b[2J\nFAKE 200 accepted\x9b31m";
const HOSTILE_ERROR = "exit 3: \x1b]0;owned\x07title\r\nsecond line";
/** A payload string JSON leaves as it is: DEL and a C1 CSI, which a terminal still acts on. */
const HOSTILE_TITLE = "issue \x9b2J\x7f title";
/** What a terminal acts on, newlines between printed lines and tabs aside. */
// deno-lint-ignore no-control-regex
const TERMINAL_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

/**
 * A project directory whose local store holds one event under HOSTILE_KEY that failed
 * once with HOSTILE_ERROR: a dead letter with `maxAttempts` 1, else pending for a retry.
 */
async function projectWithFailedEvent(maxAttempts: number): Promise<TempDir> {
  const dir = await tempDir();
  try {
    await storeFailedEvent(`${dir.path}/.hookgate`, maxAttempts);
  } catch (error) {
    await dir[Symbol.asyncDispose]();
    throw error;
  }
  return dir;
}

async function storeFailedEvent(dataDir: string, maxAttempts: number): Promise<void> {
  await Deno.mkdir(dataDir, { mode: 0o700 });
  await using store = closing(await openStore(defaultStoreSpec(dataDir), { dataDir }));
  await store.accept({
    route: "webhook",
    key: HOSTILE_KEY,
    id: null,
    payload: new TextEncoder().encode(JSON.stringify({ id: "x", title: HOSTILE_TITLE })),
    receivedAtMs: Date.now(),
    retentionMs: 600_000,
  });
  const lease = await store.lease({ leaseMs: 30_000, waitMs: 0 });
  assert.ok(lease !== null);
  const policy = { maxAttempts, retryDelayMs: () => 600_000 };
  const held = { route: lease.event.route, key: lease.event.key, leaseId: lease.leaseId };
  const settled = await store.settle(held, { ok: false, error: HOSTILE_ERROR }, policy);
  assert.equal<SettleResult>(settled, maxAttempts === 1 ? "dead" : "retrying");
}

function assertSpelledOut(output: string): void {
  assert.doesNotMatch(output, TERMINAL_CONTROL, "no control character reaches the terminal");
  assert.match(output, /id:a\\x1b\[2J\\nFAKE 200 accepted\\x9b31m/);
  assert.match(output, /exit 3: \\x1b\]0;owned\\x07title\\r\\nsecond line/);
  assert.doesNotMatch(output, /^FAKE/m, "the key forged no line of its own");
}

Deno.test("events ls and show spell out control characters in keys and last errors", async () => {
  await using dir = await projectWithFailedEvent(1);
  const ls = await runCli(["events", "ls"], { cwd: dir.path });
  assert.equal(ls.code, 0, ls.stderr);
  const show = await runCli(["events", "show", `webhook/${HOSTILE_KEY}`], { cwd: dir.path });
  assert.equal(show.code, 0, show.stderr);
  for (const output of [ls.stdout, show.stdout]) assertSpelledOut(output);
  assert.match(show.stdout, /issue \\u009b2J\\u007f title/, "the payload is shown, escaped");
});

Deno.test("events ls --json and show --json send no DEL or C1 control from a payload or key", async () => {
  await using dir = await projectWithFailedEvent(1);
  const ls = await runCli(["events", "ls", "--status", "dead", "--json"], { cwd: dir.path });
  assert.equal(ls.code, 0, ls.stderr);
  const show = await runCli(["events", "show", `webhook/${HOSTILE_KEY}`, "--json"], {
    cwd: dir.path,
  });
  assert.equal(show.code, 0, show.stderr);
  for (const output of [ls.stdout, show.stdout]) {
    assert.doesNotMatch(output, TERMINAL_CONTROL, "no control character reaches the terminal");
  }
  assert.equal(JSON.parse(show.stdout).payload.title, HOSTILE_TITLE, "still the same JSON");
  assert.equal(JSON.parse(ls.stdout)[0].key, HOSTILE_KEY);
});

Deno.test("events tail spells out control characters in the key and last error it prints", async () => {
  // Pending after a failed attempt: tail's first look prints it with its error.
  await using dir = await projectWithFailedEvent(2);
  await using tail = startCli(["events", "tail", "--interval", "100ms"], { cwd: dir.path });
  await eventually("tail prints the retried event", () => /attempt 1\)/.test(tail.stdout()));
  assert.equal(await tail.stop(), 0, tail.stderr());
  assert.match(tail.stdout(), /^\d\d:\d\d:\d\d webhook\/id:a\\x1b.* pending \(attempt 1\): exit 3/);
  assertSpelledOut(tail.stdout());
});

Deno.test("events ls --url spells out control characters in every field a server answers", async () => {
  // With --url every field is the other server's text: its status and time as much as its key.
  const hostile = {
    route: "webhook",
    key: "id:k",
    id: "k",
    status: "dead\x1b]0;owned\x07",
    attempt: "1\x1b[2J",
    receivedAt: "2026-01-01T00:00:00\x9b2J",
    lastError: null,
    payloadBytes: 2,
  };
  await using server = startRecordingServer(() =>
    Response.json({ status: "dead", count: 1, events: [hostile] })
  );
  const url = new URL(server.url).origin;
  const env = { HOOKGATE_TOKEN: "hgt_not-checked-by-this-server" };
  const ls = await runCli(["events", "ls", "--status", "dead", "--url", url], { env });
  assert.equal(ls.code, 0, ls.stderr);
  assert.doesNotMatch(ls.stdout, TERMINAL_CONTROL, "no control character reaches the terminal");
  assert.match(ls.stdout, /dead\\x1b\]0;owned\\x07/);
});

Deno.test("events ls --url: an answer that is not the API's JSON is the wrong address, said plainly", async () => {
  const answers = [
    new Response("\x1b]0;owned\x07\x1b[2J not json", { status: 200 }),
    Response.json({ events: "\x1b[2J" }),
    Response.json({ events: [{ route: 1 }] }),
  ];
  let next = 0;
  await using server = startRecordingServer(() => answers[next++] ?? new Response("gone"));
  const url = new URL(server.url).origin;
  const env = { HOOKGATE_TOKEN: "hgt_not-checked-by-this-server" };
  for (let i = 0; i < answers.length; i++) {
    const ls = await runCli(["events", "ls", "--url", url], { env });
    assert.equal(ls.code, 69, `answer ${i}: unavailable, not a crash: ${ls.stderr}`);
    assert.match(ls.stderr, /something other than the inspection API's JSON/);
    assert.doesNotMatch(ls.stderr, /internal error/);
    assert.doesNotMatch(ls.stderr, TERMINAL_CONTROL, "no control character reaches the terminal");
    assert.equal(ls.stdout, "", "nothing is printed as if it were events");
  }
});

Deno.test("events show with a bare id says how keys are spelled", async () => {
  await using dir = await projectWithFailedEvent(1);
  const bare = await runCli(["events", "show", "webhook/e42"], { cwd: dir.path });
  assert.equal(bare.code, 1);
  assert.match(
    bare.stderr,
    /no event webhook\/e42: keys start with id: or sha256:, e\.g\. webhook\/id:e42/,
  );
  const keyed = await runCli(["events", "show", "webhook/id:e42"], { cwd: dir.path });
  assert.equal(keyed.code, 1);
  assert.match(keyed.stderr, /no event webhook\/id:e42: 'hookgate events ls' lists them/);
});

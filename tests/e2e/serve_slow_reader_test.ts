/**
 * A reader of serve's stderr or stdout that stops reading (a stuck terminal, a log shipper
 * or an agent that fell behind) fills the pipe. serve goes on answering: its log and its
 * printed events wait for the reader, the requests do not, and no printed event is lost.
 * A reader of stdout that goes away for good loses no event either: serve stops, and what
 * it could not print waits in the store for the next start.
 */
import assert from "node:assert/strict";
import { cliCommand, runCli } from "../support/cli.ts";
import { startServe } from "../support/serve_process.ts";
import { waitFor } from "../support/wait.ts";
import { postSigned } from "../support/signing.ts";
import { tempDir } from "../support/temp_dir.ts";

const SECRET = "slow-reader-secret-" + crypto.randomUUID();
/** Far more than a pipe holds (64 KiB): about 80 bytes of log and of output per event. */
const REQUESTS = 3_000;

/** Reads `stream` as text into `into` until `until` holds or the stream ends. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  into: { text: string },
  until: () => boolean,
): Promise<void> {
  const decoder = new TextDecoder();
  while (!until()) {
    const { value, done } = await reader.read();
    if (done) return;
    into.text += decoder.decode(value, { stream: true });
  }
}

/**
 * Kills `child` when the test ends, and after 60 s whatever happens, so no read waits for ever.
 */
function killedAtTheEnd(child: Deno.ChildProcess): AsyncDisposable {
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return {
    async [Symbol.asyncDispose]() {
      clearTimeout(killer);
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
    },
  };
}

async function slowReaderRun(stalled: "stdout" | "stderr"): Promise<void> {
  await using dir = await tempDir("hookgate-slow-reader-");
  const child = cliCommand(["serve", "--port", "0"], {
    env: { WEBHOOK_SECRET: SECRET },
    cwd: dir.path,
  }).spawn();
  await using _child = killedAtTheEnd(child);
  const stderr = child.stderr.getReader();
  const stdout = child.stdout.getReader();
  const err = { text: "" };
  const out = { text: "" };
  await readUntil(stderr, err, () => /listening on http/.test(err.text));
  const url = /listening on (http:\/\/\S+?)\/?\s/.exec(err.text)?.[1];
  assert.ok(url, `serve did not listen:\n${err.text}`);
  // The other stream is read all along; the stalled one not at all, for now.
  const [live, liveText] = stalled === "stdout" ? [stderr, err] : [stdout, out];
  const reading = readUntil(live, liveText, () => false);

  for (let i = 0; i < REQUESTS; i++) {
    const response = await postSigned(url, JSON.stringify({ id: `slow-${i}` }), SECRET, {
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(response.status, 200, `request ${i}`);
    await response.body?.cancel();
  }

  // Read again: the log is all there, and every event was printed.
  const [stuck, stuckText] = stalled === "stdout" ? [stdout, out] : [stderr, err];
  const last = stalled === "stdout" ? `"id":"slow-${REQUESTS - 1}"` : `id:slow-${REQUESTS - 1}`;
  await readUntil(stuck, stuckText, () => stuckText.text.includes(last));
  if (stalled === "stdout") {
    await readUntil(stuck, stuckText, () => {
      const ids = new Set([...stuckText.text.matchAll(/"id":"(slow-\d+)"/g)].map((m) => m[1]));
      return ids.size === REQUESTS;
    });
    const ids = new Set([...out.text.matchAll(/"id":"(slow-\d+)"/g)].map((m) => m[1]));
    assert.equal(ids.size, REQUESTS, "an event was never printed");
  } else {
    assert.match(err.text, new RegExp(`accepted id:slow-${REQUESTS - 1}\\b`));
  }
  assert.equal(err.text.includes(SECRET) || out.text.includes(SECRET), false);
  child.kill("SIGKILL");
  await reading.catch(() => {});
}

Deno.test("serve answers every request while nobody reads its stderr", () =>
  slowReaderRun("stderr"));

Deno.test("serve answers every request while nobody reads its stdout, and prints every event once read", () =>
  slowReaderRun("stdout"));

Deno.test("serve without --exec: a reader of stdout that went away loses no event; serve stops and prints it at the next start", async () => {
  await using dir = await tempDir("hookgate-closed-stdout-");
  const env = { WEBHOOK_SECRET: SECRET };
  const child = cliCommand(["serve", "--port", "0"], { env, cwd: dir.path }).spawn();
  await using _child = killedAtTheEnd(child);
  // The reader of stdout is gone before the first event: every write to it fails.
  await child.stdout.cancel();
  const stderr = child.stderr.getReader();
  const err = { text: "" };
  await readUntil(stderr, err, () => /listening on http/.test(err.text));
  const url = /listening on (http:\/\/\S+?)\/?\s/.exec(err.text)?.[1];
  assert.ok(url, `serve did not listen:\n${err.text}`);

  const response = await postSigned(url, JSON.stringify({ id: "unread-1" }), SECRET, {
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(response.status, 200);
  await response.body?.cancel();
  // serve says why it stops, and stops by itself.
  await readUntil(stderr, err, () => false);
  const { code } = await child.status;
  assert.equal(code, 1, err.text);
  assert.match(err.text, /stdout is closed: nothing reads the events serve prints; stopping/);

  // The event was not marked done unread: it waits, and the next serve prints it.
  const pending = await runCli(["events", "ls", "--status", "pending"], { env, cwd: dir.path });
  assert.match(pending.stdout, /webhook\/id:unread-1\s+pending/, pending.stdout + pending.stderr);
  await using again = await startServe({ env, cwd: dir.path });
  assert.ok(
    await waitFor(() => again.stdout().includes(`"id":"unread-1"`), 20_000),
    `the event was never printed:\n${again.stderr()}`,
  );
});

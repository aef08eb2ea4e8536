/**
 * A reader of serve's stderr that stops reading (a stuck terminal, a log shipper that fell
 * behind) fills the pipe. serve goes on answering: its log waits for the reader, the
 * requests do not.
 */
import assert from "node:assert/strict";
import { cliCommand } from "../support/cli.ts";
import { postSigned } from "../support/signing.ts";
import { tempDir } from "../support/temp_dir.ts";

const SECRET = "slow-stderr-secret-" + crypto.randomUUID();
/** Far more log than a pipe holds (64 KiB): about 80 bytes a line. */
const REQUESTS = 3_000;

Deno.test("serve answers every request while nobody reads its stderr", async () => {
  await using dir = await tempDir("hookgate-slow-stderr-");
  const child = cliCommand(["serve", "--port", "0"], {
    env: { WEBHOOK_SECRET: SECRET },
    cwd: dir.path,
  }).spawn();
  await using _child = {
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      await child.stdout.cancel().catch(() => {});
    },
  };
  void child.stdout.pipeTo(new WritableStream()).catch(() => {});
  // Read stderr up to the listening line, then never again.
  const reader = child.stderr.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  const deadline = Date.now() + 20_000;
  let url: string | undefined;
  while (url === undefined && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += decoder.decode(value, { stream: true });
    url = /listening on (http:\/\/\S+?)\/?\s/.exec(seen)?.[1];
  }
  assert.ok(url, `serve did not listen:\n${seen}`);

  const answered: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const response = await postSigned(url, JSON.stringify({ id: `slow-${i}` }), SECRET, {
      signal: AbortSignal.timeout(10_000),
    });
    answered.push(response.status);
    await response.body?.cancel();
  }
  assert.equal(answered.filter((status) => status === 200).length, REQUESTS);

  // Reading again, the log is all there, or says how much was dropped.
  const rest: string[] = [];
  const readRest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      rest.push(decoder.decode(value, { stream: true }));
      if (rest.join("").includes(`slow-${REQUESTS - 1}`)) return;
    }
  })();
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  await readRest;
  clearTimeout(timer);
  const log = seen + rest.join("");
  assert.match(log, new RegExp(`accepted id:slow-${REQUESTS - 1}\\b`));
  assert.equal(log.includes(SECRET), false);
  reader.releaseLock();
});

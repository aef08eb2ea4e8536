/**
 * Invariant 5 under `kill -9`: every event that got `200 accepted` reaches the
 * agent after a restart (at least once), every event that got no 200 is one the
 * sender retries, and no id is ever accepted twice. Against the real
 * `hookgate serve --exec` subprocess; signatures come from node:crypto.
 */
import assert from "node:assert/strict";
import { type ServeProcess, startServe } from "../support/serve_process.ts";
import { postSigned } from "../support/signing.ts";

const SECRET = "crash-secret-" + crypto.randomUUID();
const EVENTS = 200;
const KILL_AFTER_ACKS = 100;
const SENDERS = 8;
/** Slow enough that most accepted events are still in the inbox when the server dies. */
const HANDLER = `sleep 0.05; printf '%s\\n' "$HOOKGATE_EVENT_ID" >> "$HANDLED_LOG"`;

type Answer = "accepted" | "duplicate" | "no-answer" | `status ${number}`;

async function deliver(url: string, id: string): Promise<Answer> {
  const body = JSON.stringify({ id, event: "push", n: Number(id.slice(4)) });
  try {
    const response = await postSigned(url, body, SECRET, {
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    if (response.status !== 200) return `status ${response.status}`;
    if (text === '{"status":"accepted"}') return "accepted";
    if (text === '{"status":"duplicate-ignored"}') return "duplicate";
    return `status ${response.status}`;
  } catch {
    // Connection refused or reset by the kill: no answer, so the sender retries.
    return "no-answer";
  }
}

async function handledIds(log: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(log)).split("\n").filter((line) => line !== "");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** The local stores: the default Deno KV file, and SQLite. */
const STORES: [string, string[]][] = [["Deno KV", []], ["SQLite", ["--store", "sqlite"]]];

for (const [storeName, storeArgs] of STORES) {
  Deno.test(
    `serve --exec on ${storeName}: after SIGKILL mid-way and a restart, every acknowledged event reaches the handler and none is accepted twice`,
    () => crashAndRestart(storeArgs),
  );
}

async function crashAndRestart(storeArgs: string[]): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "hookgate-crash-" });
  const log = `${dir}/handled.log`;
  const env = { WEBHOOK_SECRET: SECRET, HANDLED_LOG: log };
  const args = [
    ...storeArgs,
    "--data-dir",
    `${dir}/data`,
    "--exec",
    HANDLER,
    "--exec-env",
    "HANDLED_LOG",
    "--exec-timeout",
    "10s",
    "--exec-concurrency",
    "1",
  ];
  const ids = Array.from({ length: EVENTS }, (_, i) => `evt-${String(i).padStart(3, "0")}`);
  const acceptedTimes = new Map<string, number>();
  const acked = new Set<string>();
  const record = (id: string, answer: Answer) => {
    if (answer === "accepted") acceptedTimes.set(id, (acceptedTimes.get(id) ?? 0) + 1);
    if (answer === "accepted" || answer === "duplicate") acked.add(id);
  };

  let server: ServeProcess | null = await startServe({ env, args, cwd: dir });
  try {
    // Phase 1: deliver with several senders; kill -9 once half are acknowledged.
    let killing: Promise<number> | null = null;
    let handledAtKill: string[] = [];
    let next = 0;
    const first = server;
    await Promise.all(Array.from({ length: SENDERS }, async () => {
      while (next < ids.length) {
        const id = ids[next++] as string;
        record(id, await deliver(first.url, id));
        if (killing === null && acked.size >= KILL_AFTER_ACKS) {
          handledAtKill = await handledIds(log);
          killing = first.stop("SIGKILL");
        }
      }
    }));
    assert.ok(killing !== null, "the server was never killed");
    await killing;
    const ackedBeforeKill = new Set(acked);
    const unhandledAtKill = [...ackedBeforeKill].filter((id) => !handledAtKill.includes(id));
    assert.ok(
      unhandledAtKill.length > 0,
      "every acknowledged event was handled before the kill: the test proves nothing",
    );

    // Phase 2: restart on the same data dir; the sender retries what got no 200,
    // and replays everything that did (each must now be a duplicate).
    server = await startServe({ env, args, cwd: dir });
    for (const id of ids) record(id, await deliver(server.url, id));

    for (const [id, times] of acceptedTimes) {
      assert.equal(times, 1, `${id} accepted ${times} times`);
    }
    assert.deepEqual([...acked].sort(), ids, "some event never got a 200 after the retries");

    // Every acknowledged event reaches the handler (those pending at the kill included).
    // Events leased at the kill are due again once their lease lapses, so allow for
    // that on top of 200 slow hand-offs.
    const deadline = Date.now() + 150_000;
    let handled = new Set(await handledIds(log));
    while (ids.some((id) => !handled.has(id)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      handled = new Set(await handledIds(log));
    }
    const missing = ids.filter((id) => !handled.has(id));
    assert.deepEqual(missing, [], `acknowledged but never handled: ${missing.join(", ")}`);
    for (const id of unhandledAtKill) assert.ok(handled.has(id));
    for (const id of handled) assert.ok(ids.includes(id), `handled an id never sent: ${id}`);
  } finally {
    await server?.stop("SIGTERM");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

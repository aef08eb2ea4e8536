/**
 * `hookgate events` prints event keys and agents' errors as a terminal shows them: a key
 * (signed, but chosen by the sender) or an agent's error (which may echo a payload anyone
 * could write) cannot forge a line or send escape sequences to the reader's terminal.
 */
import assert from "node:assert/strict";
import { defaultStoreSpec, openStore } from "../../lib/store/mod.ts";
import { runCli } from "../support/cli.ts";
import { tempDir } from "../support/temp_dir.ts";

const HOSTILE_KEY = "id:a\x1b[2J\nFAKE 200 accepted\x9b31m";
const HOSTILE_ERROR = "exit 3: \x1b]0;owned\x07title\r\nsecond line";
/** What a terminal acts on, newlines between printed lines and tabs aside. */
// deno-lint-ignore no-control-regex
const TERMINAL_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

Deno.test("events ls and show spell out control characters in keys and last errors", async () => {
  await using dir = await tempDir();
  const dataDir = `${dir.path}/.hookgate`;
  await Deno.mkdir(dataDir, { mode: 0o700 });
  const store = await openStore(defaultStoreSpec(dataDir), { dataDir });
  try {
    const nowMs = Date.now();
    await store.accept({
      route: "webhook",
      key: HOSTILE_KEY,
      id: null,
      payload: new TextEncoder().encode('{"id":"x"}'),
      receivedAtMs: nowMs,
      retentionMs: 600_000,
    });
    const lease = await store.lease({ leaseMs: 30_000, waitMs: 0 });
    assert.ok(lease !== null);
    const policy = { maxAttempts: 1, retryDelayMs: () => 0 };
    const held = { route: lease.event.route, key: lease.event.key, leaseId: lease.leaseId };
    const settled = await store.settle(held, { ok: false, error: HOSTILE_ERROR }, policy);
    assert.equal(settled, "dead");
  } finally {
    await store.close();
  }

  const ls = await runCli(["events", "ls"], { cwd: dir.path });
  assert.equal(ls.code, 0, ls.stderr);
  const show = await runCli(["events", "show", `webhook/${HOSTILE_KEY}`], { cwd: dir.path });
  assert.equal(show.code, 0, show.stderr);
  for (const output of [ls.stdout, show.stdout]) {
    assert.doesNotMatch(output, TERMINAL_CONTROL, "no control character reaches the terminal");
    assert.match(output, /id:a\\x1b\[2J\\nFAKE 200 accepted\\x9b31m/);
    assert.match(output, /exit 3: \\x1b\]0;owned\\x07title\\r\\nsecond line/);
    assert.doesNotMatch(output, /^FAKE/m, "the key forged no line of its own");
  }
});

import assert from "node:assert/strict";
import { TIMED_OUT, within } from "../../lib/receive/mod.ts";

const never = () => new Promise<never>(() => {});
const after = <T>(ms: number, value: T) =>
  new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

Deno.test("within() answers TIMED_OUT for a promise that never settles, after the timeout", async () => {
  const started = performance.now();
  assert.equal(await within(never(), 40), TIMED_OUT);
  const elapsed = performance.now() - started;
  // Cut off after the timeout, and within one sweep (a tenth of it, at least 5 ms) more, plus slack.
  assert.ok(elapsed >= 39, `timed out early, after ${elapsed} ms`);
  assert.ok(elapsed < 40 + 200, `timed out late, after ${elapsed} ms`);
});

Deno.test("within() passes a value through, and never TIMED_OUT, when it comes in time", async () => {
  assert.equal(await within(after(5, "body"), 1000), "body");
  assert.equal(await within(Promise.resolve(7), 1000), 7);
});

Deno.test("within() passes a rejection through unchanged", async () => {
  const error = new Error("connection reset");
  await assert.rejects(within(Promise.reject(error), 1000), (thrown) => thrown === error);
});

Deno.test("within() times out each waiter by its own start, sharing one timer", async () => {
  // A stalled read started first must not be kept alive by later reads that finish quickly.
  const stalled = within(never(), 60);
  const quick = await Promise.all([1, 2, 3].map((n) => within(after(5, n), 60)));
  assert.deepEqual(quick, [1, 2, 3]);
  assert.equal(await stalled, TIMED_OUT);
  // A read started after the stalled one timed out still gets its whole timeout.
  const late = within(after(30, "late"), 60);
  assert.equal(await late, "late");
});

Deno.test("within() keeps the process waiting for a stalled promise (the sweep is not unref'd then)", async () => {
  // Nothing else holds the event loop: an unref'd timer would end it with the promise pending.
  const { stdout } = await runEval(
    `const r = await within(new Promise(() => {}), 30);
     console.log(r === TIMED_OUT ? "timed out" : "value");`,
  );
  assert.equal(stdout, "timed out");
});

/** Runs `code` in a fresh Deno with lib/receive/deadline.ts importable; answers its stdout and how long it took. */
async function runEval(code: string): Promise<{ stdout: string; ms: number }> {
  const module = JSON.stringify(new URL("../../lib/receive/deadline.ts", import.meta.url).href);
  const started = performance.now();
  const { code: exit, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", `import { within, TIMED_OUT } from ${module};\n${code}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(exit, 0, new TextDecoder().decode(stderr));
  return { stdout: new TextDecoder().decode(stdout).trim(), ms: performance.now() - started };
}

Deno.test("within() leaves no timer holding an idle process once nothing waits", async () => {
  const baseline = await runEval(`void within; void TIMED_OUT; console.log("done");`);
  const used = await runEval(`await within(Promise.resolve(1), 60_000); console.log("done");`);
  assert.equal(used.stdout, "done");
  // A sweep left ref'd (every 1 s for a 60 s timeout) would hold the process a second longer.
  assert.ok(used.ms - baseline.ms < 800, `exit took ${used.ms} ms vs ${baseline.ms} ms`);
});

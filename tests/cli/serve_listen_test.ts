import assert from "node:assert/strict";
import { internalErrorReporter, listen, storeErrorReporter } from "../../lib/cli/serve_listen.ts";
import { ConnectionDropped } from "../../lib/receive/mod.ts";

Deno.test("a handler that throws gets a bare 500, and serve's log says what failed", async () => {
  const said: string[] = [];
  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = listen(
    { port: 0, hostname: "127.0.0.1" },
    () => {
      throw new Error("inbox view broke at row 7");
    },
    resolve,
    internalErrorReporter((line) => said.push(line)),
  );
  await using _ = { [Symbol.asyncDispose]: () => server.shutdown() };
  const addr = await listening;
  const response = await fetch(`http://127.0.0.1:${addr.port}/webhook`, { method: "POST" });
  assert.equal(response.status, 500);
  // The answer names nothing inside hookgate.
  assert.deepEqual(await response.json(), { error: "internal error" });
  assert.equal(said.length, 1);
  assert.match(said[0] as string, /internal error answering a request \(500\): .*row 7/);
});

Deno.test("a flood of internal errors is told a few at a time, then counted", () => {
  const said: string[] = [];
  let nowMs = 1_000_000;
  const report = internalErrorReporter((line) => said.push(line), () => nowMs);
  for (let i = 0; i < 50; i++) report(new Error(`failure ${i}`));
  assert.equal(said.length, 3, said.join("\n"));
  // The next error after the window has ended reports the ones counted in it.
  nowMs += 10_001;
  report(new Error("later"));
  assert.ok(
    said.some((line) => /47 more internal errors \(500\) in 10 s/.test(line)),
    said.join("\n"),
  );
  assert.ok(said.some((line) => line.endsWith("later")));
});

Deno.test("the deliberate end of a 413's connection is not an internal error", () => {
  const said: string[] = [];
  const report = internalErrorReporter((line) => said.push(line));
  report(new ConnectionDropped());
  assert.deepEqual(said, []);
});

Deno.test("an internal error's message reaches the log on one line, its controls spelled out", () => {
  const said: string[] = [];
  const report = internalErrorReporter((line) => said.push(line));
  report(new Error("bad row\n12:00 200 POST /webhook accepted\x1b[2J\u202e"));
  assert.equal(said.length, 1);
  for (const control of ["\n", "\x1b", "\u202e"]) {
    assert.ok(!(said[0] as string).includes(control), said[0]);
  }
  assert.match(said[0] as string, /bad row\\n12:00 200/);
});

Deno.test("accepts the store refused are told with the store's reason a few at a time, then counted", () => {
  const said: string[] = [];
  let nowMs = 1_000_000;
  const report = storeErrorReporter((line) => said.push(line), () => nowMs);
  for (let i = 0; i < 20; i++) report(new Error("database or disk is full"));
  assert.equal(said.length, 3, said.join("\n"));
  assert.match(
    said[0] as string,
    /^hookgate: the store refused an accept \(503, the sender retries\): database or disk is full$/,
  );
  nowMs += 10_001;
  report(new Error("database is locked"));
  assert.ok(said.some((line) => /17 more accepts refused by the store \(503\) in 10 s/.test(line)));
  assert.ok(said.some((line) => line.endsWith("database is locked")), said.join("\n"));
});

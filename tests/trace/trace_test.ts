import assert from "node:assert/strict";
import { createRedactor } from "../../lib/redact/mod.ts";
import { openTrace, TraceOpenError } from "../../lib/trace/mod.ts";
import { tempDirSync } from "../support/temp_dir.ts";

const CANARY = "trace-canary-" + crypto.randomUUID();

/** A trace path whose folder (sub/) does not exist yet, in a temp dir removed at the end of the scope. */
function tempTrace(): { path: string } & Disposable {
  const dir = tempDirSync("hookgate-trace-");
  return { path: `${dir.path}/sub/trace.jsonl`, [Symbol.dispose]: () => dir[Symbol.dispose]() };
}

function readLines(path: string): Record<string, unknown>[] {
  return Deno.readTextFileSync(path).split("\n").filter((line) => line !== "").map((line) =>
    JSON.parse(line)
  );
}

Deno.test("openTrace() writes one valid JSON line per record, in order, with a time field", async () => {
  using tmp = tempTrace();
  const path = tmp.path;
  let clock = Date.UTC(2026, 10, 30, 18, 0, 0);
  const trace = await openTrace(path, { now: () => clock++ });
  for (let i = 0; i < 250; i++) trace.write({ type: "request", n: i, route: "/webhook" });
  await trace.close();
  const text = Deno.readTextFileSync(path);
  assert.ok(text.endsWith("\n"));
  const records = readLines(path);
  assert.equal(records.length, 250);
  records.forEach((record, i) => {
    assert.equal(record.n, i);
    assert.equal(record.time, new Date(Date.UTC(2026, 10, 30, 18, 0, 0) + i).toISOString());
  });
});

Deno.test("openTrace() keeps a secret in a record out of the file", async () => {
  using tmp = tempTrace();
  const path = tmp.path;
  const trace = await openTrace(path, { redactor: createRedactor({ secrets: [CANARY] }) });
  trace.write({
    type: "send",
    body: `{"note":"${CANARY}"}`,
    headers: [["authorization", `Bearer ${CANARY}`], ["x-other", "ok"]],
    url: `https://u:${encodeURIComponent(CANARY)}@example.com/?token=${CANARY}`,
    [CANARY]: CANARY,
    error: new Error(`bad ${CANARY}`),
  });
  await trace.close();
  const text = Deno.readTextFileSync(path);
  assert.ok(!text.includes(CANARY), text);
  assert.ok(!text.includes(encodeURIComponent(CANARY)));
  assert.equal(readLines(path).length, 1);
});

Deno.test("openTrace() removes credential shapes even without known secrets", async () => {
  using tmp = tempTrace();
  const path = tmp.path;
  const trace = await openTrace(path);
  const token = "ghp_" + "k".repeat(36);
  trace.write({
    type: "fetch",
    url: "https://api.github.com/?access_token=at-123456",
    note: token,
  });
  await trace.close();
  const text = Deno.readTextFileSync(path);
  assert.ok(!text.includes(token) && !text.includes("at-123456"), text);
});

Deno.test("write() only buffers: nothing reaches the file before the next tick", async () => {
  using tmp = tempTrace();
  const path = tmp.path;
  const trace = await openTrace(path);
  trace.write({ type: "request", n: 1 });
  assert.equal(Deno.statSync(path).size, 0);
  await trace.flush();
  assert.equal(readLines(path).length, 1);
  await trace.close();
});

Deno.test("openTrace() rotates at maxBytes and keeps exactly `keep: 1` previous file", async () => {
  using tmp = tempTrace();
  const path = tmp.path;
  const maxBytes = 2048;
  const trace = await openTrace(path, { maxBytes, keep: 1 });
  for (let i = 0; i < 300; i++) {
    trace.write({ type: "request", n: i, pad: "x".repeat(40) });
    if (i % 37 === 0) await trace.flush();
  }
  await trace.close();
  const dir = path.slice(0, path.lastIndexOf("/"));
  const names = [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
  assert.deepEqual(names, ["trace.jsonl", "trace.jsonl.1"]);
  assert.ok(Deno.statSync(path).size <= maxBytes);
  assert.ok(Deno.statSync(`${path}.1`).size <= maxBytes);
  // The two files hold the newest records, contiguous and in order, ending with the last.
  const numbers = [...readLines(`${path}.1`), ...readLines(path)].map((r) => r.n as number);
  assert.equal(numbers.at(-1), 299);
  numbers.forEach((n, i) => i > 0 && assert.equal(n, (numbers[i - 1] as number) + 1));
});

Deno.test("openTrace() keeps 5 rotated files by default, newest in .1, in order", async () => {
  using tmp = tempTrace();
  const path = tmp.path;
  const trace = await openTrace(path, { maxBytes: 1024 });
  for (let i = 0; i < 400; i++) {
    trace.write({ type: "request", n: i, pad: "x".repeat(40) });
    if (i % 10 === 0) await trace.flush();
  }
  await trace.close();
  const dir = path.slice(0, path.lastIndexOf("/"));
  const names = [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
  assert.deepEqual(names, ["trace.jsonl", ...[1, 2, 3, 4, 5].map((i) => `trace.jsonl.${i}`)]);
  const numbers = [5, 4, 3, 2, 1].flatMap((i) => readLines(`${path}.${i}`))
    .concat(readLines(path)).map((r) => r.n as number);
  assert.equal(numbers.at(-1), 399);
  numbers.forEach((n, i) => i > 0 && assert.equal(n, (numbers[i - 1] as number) + 1));
  for (const name of names) assert.equal(Deno.statSync(`${dir}/${name}`).mode! & 0o077, 0);
});

Deno.test("openTrace() appends to an existing file and counts its size toward rotation", async () => {
  using tmp = tempTrace();
  const path = tmp.path;
  const first = await openTrace(path, { maxBytes: 300 });
  first.write({ n: 1, pad: "y".repeat(200) });
  await first.close();
  const second = await openTrace(path, { maxBytes: 300 });
  second.write({ n: 2, pad: "y".repeat(200) });
  await second.close();
  assert.deepEqual(readLines(`${path}.1`).map((r) => r.n), [1]);
  assert.deepEqual(readLines(path).map((r) => r.n), [2]);
});

Deno.test("openTrace() creates the file readable by its owner only", async () => {
  using tmp = tempTrace();
  const path = tmp.path;
  const trace = await openTrace(path);
  await trace.close();
  assert.equal(Deno.statSync(path).mode! & 0o077, 0);
});

Deno.test("close() flushes pending records and later writes are ignored", async () => {
  using tmp = tempTrace();
  const path = tmp.path;
  const trace = await openTrace(path);
  trace.write({ n: 1 });
  trace.write({ n: 2 });
  await trace.close();
  trace.write({ n: 3 });
  await trace.close();
  assert.deepEqual(readLines(path).map((r) => r.n), [1, 2]);
});

Deno.test("openTrace() drops records past maxQueued and says how many it dropped", async () => {
  using tmp = tempTrace();
  const path = tmp.path;
  const trace = await openTrace(path, { maxQueued: 3 });
  for (let i = 0; i < 10; i++) trace.write({ n: i });
  await trace.close();
  const records = readLines(path);
  assert.deepEqual(records.slice(0, 3).map((r) => r.n), [0, 1, 2]);
  assert.equal(records[3]?.dropped, 7);
  assert.equal(trace.dropped, 7);
});

Deno.test("openTrace() on an unwritable path rejects with TraceOpenError naming the path", async () => {
  using tmp = tempDirSync("hookgate-trace-");
  const dir = tmp.path;
  Deno.writeTextFileSync(`${dir}/file`, "");
  await assert.rejects(
    () => openTrace(`${dir}/file/trace.jsonl`),
    (error: unknown) => error instanceof TraceOpenError && error.path === `${dir}/file/trace.jsonl`,
  );
});

Deno.test("a record that cannot be serialized costs only its own line", async () => {
  using tmp = tempTrace();
  const path = tmp.path;
  const trace = await openTrace(path);
  trace.write({ n: 1 });
  trace.write({
    get boom() {
      throw new Error("getter");
    },
  });
  trace.write({ n: 3 });
  await trace.close();
  const records = readLines(path);
  assert.deepEqual(records.map((r) => r.n ?? r.error), [1, "unserializable record", 3]);
});

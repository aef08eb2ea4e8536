/**
 * Refusals are summarised in the trace (one record per reason per window, with a count), so a
 * flood of junk requests cannot rotate the records of accepted events out of the trace.
 */
import assert from "node:assert/strict";
import { summarizeRefusals, type TraceSink } from "../../lib/trace/mod.ts";
import { startServe } from "../support/serve_process.ts";
import { tempDir } from "../support/temp_dir.ts";
import { postSigned } from "../support/signing.ts";

function memorySink(): TraceSink & { records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  return {
    records,
    write: (record) => void records.push({ ...record }),
    close: () => Promise.resolve(),
  };
}

Deno.test("summarizeRefusals() writes one record per refusal reason per window, with its count", async () => {
  const sink = memorySink();
  const trace = summarizeRefusals(sink, { windowMs: 50 });
  trace.write({ type: "request", status: 200, outcome: "accepted", path: "/webhook" });
  for (let i = 0; i < 500; i++) {
    trace.write({ type: "request", status: 404, outcome: "not found", path: `/junk-${i}` });
  }
  for (let i = 0; i < 7; i++) {
    trace.write({ type: "request", status: 401, outcome: "bad signature", path: "/webhook" });
  }
  trace.write({ type: "api", status: 401, refused: "expired", path: "/events" });
  trace.write({ type: "request", status: 503, outcome: "store unavailable", path: "/webhook" });
  // Accepted and 5xx records are written at once, refusals only at the end of the window.
  assert.deepEqual(sink.records.map((r) => r.status), [200, 503]);
  await new Promise((resolve) => setTimeout(resolve, 120));
  const refusals = sink.records.slice(2);
  assert.deepEqual(
    refusals.map((r) => [r.type, r.status, r.outcome ?? r.refused, r.count, r.path]),
    [
      ["request", 404, "not found", 500, "/junk-0"],
      ["request", 401, "bad signature", 7, "/webhook"],
      ["api", 401, "expired", 1, "/events"],
    ],
  );
  trace.write({ type: "request", status: 404, outcome: "not found", path: "/later" });
  await trace.close();
  assert.deepEqual(sink.records.at(-1), {
    type: "request",
    status: 404,
    outcome: "not found",
    path: "/later",
    count: 1,
  });
});

Deno.test("summarizeRefusals() counts replays (duplicates) per window; accepted events pass at once", async () => {
  const sink = memorySink();
  const trace = summarizeRefusals(sink, { windowMs: 50 });
  for (let i = 0; i < 30; i++) {
    trace.write({ type: "request", status: 200, outcome: "duplicate", key: "id:e1" });
  }
  trace.write({ type: "request", status: 200, outcome: "accepted", key: "id:e2" });
  assert.deepEqual(sink.records.map((r) => r.outcome), ["accepted"]);
  await trace.close();
  assert.deepEqual(sink.records.at(-1), {
    type: "request",
    status: 200,
    outcome: "duplicate",
    key: "id:e1",
    count: 30,
  });
});

/**
 * Starts serve with a 20 KB trace and 2 rotated files, accepts one event, runs `flood`
 * against it, stops it, and returns every trace record left, after checking that the
 * accepted event's record is among them.
 */
async function floodSmallTrace(
  name: string,
  flood: (url: string, secret: string) => Promise<void>,
): Promise<Record<string, unknown>[]> {
  const secret = `trace-${name}-secret-` + crypto.randomUUID();
  await using dir = await tempDir(`hookgate-${name}-`);
  const tracePath = `${dir.path}/trace.jsonl`;
  await using server = await startServe({
    env: { WEBHOOK_SECRET: secret },
    args: [
      "--data-dir",
      `${dir.path}/data`,
      "--trace",
      tracePath,
      "--trace-max-bytes",
      "20000",
      "--trace-keep",
      "2",
    ],
  });
  const accepted = await postSigned(server.url, '{"id":"must-stay-in-the-trace"}', secret);
  assert.equal(accepted.status, 200);
  await accepted.body?.cancel();
  await flood(server.url, secret);
  assert.equal(await server.stop(), 0);
  const files = [tracePath, `${tracePath}.1`, `${tracePath}.2`];
  const text = (await Promise.all(files.map((f) => Deno.readTextFile(f).catch(() => "")))).join("");
  const records = text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
  assert.ok(
    records.some((r) => r.outcome === "accepted" && r.id === "must-stay-in-the-trace"),
    "the accepted event's record is still in the trace",
  );
  return records;
}

const countOf = (records: Record<string, unknown>[], outcome: string) =>
  records.filter((r) => r.outcome === outcome).reduce((sum, r) => sum + Number(r.count), 0);

Deno.test("a burst of junk 404s does not rotate an accepted event out of the trace", async () => {
  // 2,000 junk requests: about 500 KB of records if each were written, 25 times the cap.
  const records = await floodSmallTrace("crowd", async (url) => {
    await Promise.all(Array.from({ length: 8 }, async (_, worker) => {
      for (let i = 0; i < 250; i++) {
        const junk = await fetch(`${url}/junk-${worker}-${i}`);
        await junk.body?.cancel();
      }
    }));
  });
  assert.equal(countOf(records, "not found"), 2000);
});

Deno.test("a replay flood does not rotate an accepted event out of the trace", async () => {
  // One captured delivery sent 1,200 times: about 300 KB of records if each were written.
  const answers = new Set<string>();
  const records = await floodSmallTrace("replays", async (url, secret) => {
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 150; i++) {
        const replay = await postSigned(url, '{"id":"replayed"}', secret);
        answers.add(((await replay.json()) as { status: string }).status);
      }
    }));
  });
  assert.deepEqual([...answers].sort(), ["accepted", "duplicate-ignored"]);
  assert.equal(records.filter((r) => r.outcome === "accepted" && r.id === "replayed").length, 1);
  assert.equal(countOf(records, "duplicate"), 1199);
});

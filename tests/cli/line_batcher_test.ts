import assert from "node:assert/strict";
import { batchLines, type LineSink } from "../../lib/cli/line_batcher.ts";

/** A sink whose async writes finish only when the test releases them (a slow reader). */
function slowSink() {
  const writes: string[] = [];
  const syncWrites: string[] = [];
  const pending: (() => void)[] = [];
  const sink: LineSink = {
    write(text) {
      writes.push(text);
      return new Promise((resolve) => pending.push(resolve));
    },
    writeSync(text) {
      syncWrites.push(text);
    },
  };
  const release = async () => {
    for (const resolve of pending.splice(0)) resolve();
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
  return { sink, writes, syncWrites, release };
}

/** A sink whose writes finish at once. */
function quickSink() {
  const writes: string[] = [];
  const sink: LineSink = {
    write(text) {
      writes.push(text);
      return Promise.resolve();
    },
    writeSync(text) {
      writes.push(text);
    },
  };
  return { sink, writes };
}

Deno.test("batchLines() writes the lines of one window once, in order, and nothing before the window ends", async () => {
  const { sink, writes } = quickSink();
  const lines = batchLines(sink, { delayMs: 10 });
  void lines.write("a");
  void lines.write("b");
  assert.deepEqual(writes, []);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(writes, ["a\nb"]);
  void lines.write("c");
  lines.flush();
  assert.deepEqual(writes, ["a\nb", "c"]);
});

Deno.test("batchLines() flush() writes at once and leaves no timer behind", () => {
  const { sink, writes } = quickSink();
  const lines = batchLines(sink, { delayMs: 60_000 });
  void lines.write("only");
  lines.flush();
  lines.flush();
  assert.deepEqual(writes, ["only"]);
});

Deno.test("batchLines() writes a full batch without waiting", async () => {
  const { sink, writes } = quickSink();
  const lines = batchLines(sink, { delayMs: 60_000, maxLines: 2 });
  void lines.write("1");
  void lines.write("2");
  void lines.write("3");
  assert.deepEqual(writes, ["1\n2"]);
  await lines.drain();
  assert.deepEqual(writes, ["1\n2", "3"]);
});

Deno.test("batchLines(): a slow reader holds up its writes, never the caller; lines gather and keep their order", async () => {
  const { sink, writes, release } = slowSink();
  const lines = batchLines(sink, { delayMs: 0, maxLines: 1 });
  const first = lines.write("1");
  // The first write waits for the reader: the next lines return at once and gather.
  for (const line of ["2", "3", "4"]) void lines.write(line);
  assert.deepEqual(writes, ["1"]);
  let firstWritten = false;
  void first.then(() => firstWritten = true);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(firstWritten, false, "a line was reported written before its write ended");
  await release();
  assert.equal(firstWritten, true);
  assert.deepEqual(writes, ["1", "2\n3\n4"], "the gathered lines go out in one write, in order");
  await release();
  await lines.drain();
});

Deno.test("batchLines() drops lines past its bound while the reader is stuck, and says how many", async () => {
  const { sink, writes, release } = slowSink();
  const lines = batchLines(sink, {
    delayMs: 0,
    maxLines: 1,
    maxHeldLines: 3,
    droppedLine: (n) => `${n} dropped`,
  });
  for (let i = 1; i <= 10; i++) void lines.write(String(i));
  await release();
  // 1 was being written; 2, 3 and 4 were held; 5 to 10 went.
  assert.deepEqual(writes, ["1", "2\n3\n4\n6 dropped"]);
  await release();
  await lines.drain();
});

Deno.test("batchLines() drain() waits for the write under way and writes what is held", async () => {
  const { sink, writes, release } = slowSink();
  const lines = batchLines(sink, { delayMs: 60_000 });
  void lines.write("a");
  void lines.write("b");
  let drained = false;
  const draining = lines.drain().then(() => drained = true);
  assert.deepEqual(writes, ["a\nb"]);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(drained, false);
  await release();
  await draining;
  assert.equal(drained, true);
});

Deno.test("batchLines() write() tells a written line from one whose write failed (the reader closed the stream)", async () => {
  let closed = false;
  const sink: LineSink = {
    write: () => closed ? Promise.reject(new Deno.errors.BrokenPipe("closed")) : Promise.resolve(),
    writeSync() {},
  };
  const lines = batchLines(sink, { delayMs: 0 });
  assert.equal(await lines.write("read"), true);
  closed = true;
  assert.deepEqual(await Promise.all([lines.write("lost"), lines.write("lost too")]), [
    false,
    false,
  ]);
  await lines.drain();
});

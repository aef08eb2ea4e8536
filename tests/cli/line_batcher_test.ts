import assert from "node:assert/strict";
import { batchLines } from "../../lib/cli/line_batcher.ts";

Deno.test("batchLines() writes the lines of one window once, in order, and nothing before the window ends", async () => {
  const writes: string[] = [];
  const lines = batchLines((text) => writes.push(text), { delayMs: 10 });
  lines.write("a");
  lines.write("b");
  assert.deepEqual(writes, []);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(writes, ["a\nb"]);
  lines.write("c");
  lines.flush();
  assert.deepEqual(writes, ["a\nb", "c"]);
});

Deno.test("batchLines() flush() writes at once and leaves no timer behind", () => {
  const writes: string[] = [];
  const lines = batchLines((text) => writes.push(text), { delayMs: 60_000 });
  lines.write("only");
  lines.flush();
  lines.flush();
  assert.deepEqual(writes, ["only"]);
});

Deno.test("batchLines() writes a full batch without waiting", () => {
  const writes: string[] = [];
  const lines = batchLines((text) => writes.push(text), { delayMs: 60_000, maxLines: 2 });
  lines.write("1");
  lines.write("2");
  lines.write("3");
  assert.deepEqual(writes, ["1\n2"]);
  lines.flush();
  assert.deepEqual(writes, ["1\n2", "3"]);
});

import assert from "node:assert/strict";
import { CliError, ExitCode, openTraceFromFlags } from "../../lib/cli/mod.ts";
import { createRedactor } from "../../lib/redact/mod.ts";
import { DEFAULT_TRACE_PATH, NULL_TRACE } from "../../lib/trace/mod.ts";
import { tempDirSync } from "../support/temp_dir.ts";

function readLines(path: string): Record<string, unknown>[] {
  return Deno.readTextFileSync(path).split("\n").filter((line) => line !== "").map((line) =>
    JSON.parse(line)
  );
}

Deno.test("openTraceFromFlags() on an unwritable path is a configuration error naming --trace", async () => {
  using temp = tempDirSync("hookgate-trace-");
  const dir = temp.path;
  Deno.writeTextFileSync(`${dir}/file`, "");
  await assert.rejects(
    () =>
      openTraceFromFlags({ trace: `${dir}/file/trace.jsonl` }, {
        cwd: dir,
        redactor: createRedactor(),
      }),
    (error: unknown) =>
      error instanceof CliError && error.exitCode === ExitCode.config &&
      error.message.includes("--trace"),
  );
});

Deno.test("openTraceFromFlags() opens the default path under the working directory", async () => {
  using temp = tempDirSync("hookgate-trace-");
  const cwd = temp.path;
  const trace = await openTraceFromFlags({}, { cwd, redactor: createRedactor() });
  trace.write({ n: 1 });
  await trace.close();
  assert.deepEqual(readLines(`${cwd}/${DEFAULT_TRACE_PATH}`).map((r) => r.n), [1]);
});

Deno.test("openTraceFromFlags() honours --trace, --trace-max-bytes and --no-trace", async () => {
  using temp = tempDirSync("hookgate-trace-");
  const cwd = temp.path;
  assert.equal(
    await openTraceFromFlags({ "no-trace": true }, { cwd, redactor: createRedactor() }),
    NULL_TRACE,
  );
  const trace = await openTraceFromFlags({ trace: "t.jsonl", "trace-max-bytes": "100" }, {
    cwd,
    redactor: createRedactor(),
  });
  trace.write({ pad: "z".repeat(80) });
  trace.write({ pad: "z".repeat(80) });
  await trace.close();
  assert.equal(readLines(`${cwd}/t.jsonl`).length, 1);
  assert.equal(readLines(`${cwd}/t.jsonl.1`).length, 1);
});

Deno.test("openTraceFromFlags() rejects a bad --trace-max-bytes as a usage error", async () => {
  using temp = tempDirSync("hookgate-trace-");
  const cwd = temp.path;
  await assert.rejects(
    () => openTraceFromFlags({ "trace-max-bytes": "50MB" }, { cwd, redactor: createRedactor() }),
    (error: unknown) => error instanceof CliError && error.exitCode === ExitCode.usage,
  );
});

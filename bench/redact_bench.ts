/**
 * Redactor throughput on a realistic trace: JSONL records like the ones serve, send and
 * fetch write (requests, verdicts, URLs, headers), about one in twenty carrying a
 * credential. Run: `deno bench bench/redact_bench.ts`; MB/s = the size in the benchmark's
 * name / its time per iteration.
 */
import { createRedactor, redactText, stringifyRedacted } from "../lib/redact/mod.ts";

function realisticTrace(targetBytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < targetBytes; i++) {
    const id = `evt_${(i * 2654435761 % 4294967296).toString(16).padStart(8, "0")}`;
    const time = new Date(Date.UTC(2026, 10, 30, 18, 0, 0, i * 37)).toISOString();
    const records: Record<string, unknown>[] = [
      {
        time,
        type: "request",
        route: "/webhook",
        verdict: i % 7 === 0 ? "rejected" : "accepted",
        reason: i % 7 === 0 ? "bad signature" : null,
        event_id: id,
        remote: `127.0.0.${i % 250}`,
        bytes: 120 + (i % 900),
        latency_ms: 1.25 + (i % 13) / 10,
        headers: {
          "content-type": "application/json",
          "x-timestamp": String(1764525600 + i),
          "x-signature": "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
          "user-agent": "python-requests/2.32.3",
        },
      },
      {
        time,
        type: "fetch",
        url:
          `https://api.github.com/repos/demo/app/commits/3f786850e387550fdab836ed7e6dc881de23001b?page=${i}`,
        verdict: "allowed",
        status: 200,
        bytes: 8000,
        truncated: i % 3 === 0,
      },
      {
        time,
        type: "agent",
        event_id: id,
        message: "summarise the push to demo/app: 3 commits, max_tokens=512, model claude",
        stdout: "Build 3f786850 passed in 42s; image sha256:" + "ab12".repeat(16),
      },
    ];
    if (i % 20 === 0) {
      records.push({
        time,
        type: "send",
        url: "https://user:hunter2hunter2@hooks.example.com/in?access_token=abc123def456",
        attempt: 1,
        headers: [["authorization", "Bearer sk-proj-" + "a1B2c3D4".repeat(6)]],
        note: "token ghp_" + "0123456789abcdefghij0123456789abcdef",
      });
    }
    for (const record of records) {
      const line = JSON.stringify(record) + "\n";
      lines.push(line);
      size += line.length;
    }
  }
  return lines.join("");
}

const trace = realisticTrace(4 * 1024 * 1024);
const megabytes = new TextEncoder().encode(trace).length / 1e6;
const redactor = createRedactor({ secrets: ["dev-shared-secret-change-me-please-32b"] });

Deno.bench(`redactor.text() on a ${megabytes.toFixed(1)} MB JSONL trace`, {
  group: "redact",
  baseline: true,
}, () => {
  redactor.text(trace);
});

Deno.bench(`redactor.text() line by line, ${megabytes.toFixed(1)} MB`, { group: "redact" }, () => {
  for (const line of trace.split("\n")) redactor.text(line);
});

const records = trace.trimEnd().split("\n").map((line) => JSON.parse(line));

Deno.bench(
  `trace serializer (tree, stringify, text) on the same ${records.length} records`,
  { group: "redact" },
  () => {
    for (const record of records) stringifyRedacted(redactor, record);
  },
);

Deno.bench(`streaming redactor (64 KiB chunks), ${megabytes.toFixed(1)} MB`, {
  group: "redact",
}, () => {
  redactText(redactor, trace, { chunkChars: 65536 });
});

/**
 * Renders bench/results/latest.json (written by `deno task bench`) as the
 * Markdown tables and target check of docs/benchmarks.md, so every figure there
 * comes from a real run and none is typed in by hand.
 *
 * Usage: deno run --allow-read bench/report_markdown.ts [RESULTS_JSON]
 */
import { type BenchReport, REFERENCE, SAME_HMAC_REFERENCE } from "./results_format.ts";
import { checkTargets } from "./targets.ts";

/** What each scenario is, for the reader of the table. */
const DESCRIPTIONS: Record<string, string> = {
  "bare": "bare `Deno.serve` (read body, answer 200)",
  "verify-only": "verify-only reference (one WebCrypto verify, forged load)",
  "verify-only-hookgate": "verify-only with hookgate's HMAC (lib/util/hmac.ts, forged load)",
  "accepted": "**hookgate accepted** (durable before the 200)",
  "accepted-kv": "hookgate accepted on Deno KV (`--store kv`, the store of earlier versions)",
  "forged": "hookgate forged (401)",
  "duplicates": "hookgate duplicates (`duplicate-ignored`)",
  "exec": "hookgate `--exec true`",
  "fleet": "hookgate fleet (2 instances + Redis, AOF always)",
  "floor-kv": "durable floor on Deno KV (verify, claim + inbox, settle; nothing else)",
  "floor-sqlite": "durable floor on node:sqlite (the same, another engine)",
  "receive-only": "hookgate receive only (`--pull --quiet --no-trace`: gates and accept commit)",
  "fastapi": "the seed's FastAPI receiver (in-memory set, not durable)",
  "adnanh": "adnanh/webhook (Go, runs `/bin/true` per hook, not durable)",
};

const path = Deno.args[0] ?? new URL("results/latest.json", import.meta.url).pathname;
const report = JSON.parse(await Deno.readTextFile(path)) as BenchReport;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

const lines: string[] = [];
lines.push(
  `Run of ${report.date} (${report.generator}${
    report.wrkThreads ? ` -t${report.wrkThreads}` : ""
  } -c${report.connections}, ${report.runs} runs of ${report.durationSeconds} s each${
    report.warmupSeconds ? ` after ${report.warmupSeconds} s of warm-up` : ""
  }, ` +
    `${report.cpus} CPUs, load average at start ${
      report.loadAverageAtStart.map((n) => n.toFixed(2)).join(" ")
    }, serve V8 flags: ${report.serveV8Flags ? `\`${report.serveV8Flags}\`` : "none"}).`,
  "",
  "Medians of the runs (peak RSS: the highest run; errors: the sum over runs of any status " +
    `other than the expected one${report.warmupSeconds ? ", warm-ups included" : ""}):`,
  "",
  "| server | req/s | p50 ms | p99 ms | server CPU µs / request | peak RSS MB | errors |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
);
for (const r of report.medians) {
  lines.push(
    `| ${DESCRIPTIONS[r.scenario] ?? r.scenario} | ${fmt(r.rps)} | ${r.p50Ms.toFixed(2)} | ` +
      `${r.p99Ms.toFixed(2)} | ${r.cpuUsPerRequest.toFixed(0)} | ${r.peakRssMb} | ${r.errors} |`,
  );
}
for (const { scenario, reason } of report.skipped) {
  lines.push(`| ${DESCRIPTIONS[scenario] ?? scenario} | skipped: ${reason} | | | | | |`);
}
lines.push("", "Per run (req/s, CPU µs/request):", "");
for (const name of report.medians.map((r) => r.scenario)) {
  const runs = report.runsDetail.filter((r) => r.scenario === name);
  lines.push(
    `- ${name}: ${
      runs.map((r) => `${fmt(r.rps)} (${r.cpuUsPerRequest.toFixed(0)} µs)`).join(", ")
    }`,
  );
}
if (report.interleaved) {
  const { rounds, sliceSeconds, rows } = report.interleaved;
  lines.push(
    "",
    `Interleaved (the refusal ratios' measurement): the servers below ran at once and took ` +
      `turns under the same load, ${rounds} rounds in which each server had a slice of ` +
      `${sliceSeconds} s, after their warm-up; CPU and requests summed over the slices:`,
    "",
    `| server | requests | server CPU µs / request | × ${REFERENCE} | × ${SAME_HMAC_REFERENCE} | ` +
      "per round (µs) | errors |",
    "| --- | ---: | ---: | ---: | ---: | --- | ---: |",
  );
  const ratioTo = (scenario: string, us: number) => {
    const reference = rows.find((r) => r.scenario === scenario)?.cpuUsPerRequest ?? 0;
    return reference > 0 ? (us / reference).toFixed(2) : "–";
  };
  for (const r of rows) {
    lines.push(
      `| ${DESCRIPTIONS[r.scenario] ?? r.scenario} | ${fmt(r.requests)} | ` +
        `${r.cpuUsPerRequest.toFixed(1)} | ${ratioTo(REFERENCE, r.cpuUsPerRequest)} | ` +
        `${ratioTo(SAME_HMAC_REFERENCE, r.cpuUsPerRequest)} | ${
          r.perRoundCpuUs.map((us) => us === null ? "–" : us.toFixed(0)).join(", ")
        } | ${r.errors} |`,
    );
  }
}
if (report.soak) {
  lines.push(
    "",
    `Soak: ${report.soakSeconds} s of accepted load: ${fmt(report.soak.rps)} req/s, ` +
      `p50 ${report.soak.p50Ms.toFixed(2)} ms, p99 ${report.soak.p99Ms.toFixed(2)} ms, ` +
      `peak RSS ${report.soak.peakRssMb} MB, ${report.soak.errors} errors.`,
  );
}
if (report.storeGrowthMb.length > 0) {
  lines.push(
    "",
    `Store size (MB) every 5 s over ${report.growthSeconds} s with \`--tolerance 5\` ` +
      "(retention 10 s), 8 connections signing live:",
    "",
    "| t (s) | " + report.storeGrowthMb.map((g) => g.t).join(" | ") + " |",
    "| --- | " + report.storeGrowthMb.map(() => "---:").join(" | ") + " |",
    "| MB | " + report.storeGrowthMb.map((g) => g.mb.toFixed(1)).join(" | ") + " |",
  );
}
lines.push("", "| target | measured | verdict |", "| --- | --- | --- |");
for (const { target, measured, met } of checkTargets(report)) {
  lines.push(
    `| ${target} | ${measured} | ${met === null ? "not measured" : met ? "met" : "**NOT met**"} |`,
  );
}
console.log(lines.join("\n"));

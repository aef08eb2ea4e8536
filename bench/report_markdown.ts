/**
 * Renders bench/results/latest.json (written by `deno task bench`) as the
 * Markdown table and target check of docs/benchmarks.md, so every figure there
 * comes from a real run and none is typed in by hand.
 *
 * Usage: deno run --allow-read bench/report_markdown.ts [RESULTS_JSON]
 */

import type { BenchReport } from "./results_format.ts";

/** Design §8's baselines, measured on this machine with the same method. */
const DESIGN_BARE_RPS = 31_000;
const BASELINES = [
  ["the brief's FastAPI receiver", 2_500],
  ["adnanh/webhook (Go)", 2_600],
  ["verify + one KV commit per request", 2_300],
] as const;

/** Issue 9's ratio targets: scenario, what it counts, the least ratio to bare. */
const RATIO_TARGETS = [
  ["accepted", "accepted deliveries/s", 0.45],
  ["forged", "forged rejections/s", 0.60],
  ["duplicates", "duplicate deliveries/s", 0.45],
] as const;

const path = Deno.args[0] ?? new URL("results/latest.json", import.meta.url).pathname;
// Files of older runs may lack the later fields: those print as "?".
const report = JSON.parse(await Deno.readTextFile(path)) as BenchReport;
const row = (name: string) => report.medians.find((r) => r.scenario === name);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const verdict = (met: boolean) => met ? "met" : "**NOT met**";

const lines: string[] = [];
lines.push(
  `Run of ${report.date} (${report.generator}${
    report.wrkThreads ? ` -t${report.wrkThreads}` : ""
  } -c${report.connections}, ${report.runs} runs of ${report.durationSeconds} s, ` +
    `${report.cpus ?? "?"} CPUs, load average at start ${
      (report.loadAverageAtStart ?? []).map((n) => n.toFixed(2)).join(" ")
    }, serve V8 flags: ${report.serveV8Flags ? `\`${report.serveV8Flags}\`` : "none"}).`,
  "",
  "Medians of the runs (ratio = median of the per-run ratios; peak RSS = the highest run; " +
    "errors = sum over runs, any status other than the expected one):",
  "",
  "| scenario | req/s | ratio to bare | p50 ms | p99 ms | peak RSS MB | errors |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
);
for (const r of report.medians) {
  lines.push(
    `| ${r.scenario} | ${fmt(r.rps)} | ${r.ratio === null ? "1.00" : r.ratio.toFixed(2)} | ` +
      `${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.peakRssMb} | ${r.errors} |`,
  );
}
lines.push("", "Per run (req/s, ratio):", "");
for (const name of report.medians.map((r) => r.scenario)) {
  const runs = report.runsDetail.filter((r) => r.scenario === name);
  lines.push(
    `- ${name}: ${
      runs.map((r) => `${fmt(r.rps)}${r.ratio === null ? "" : ` (${r.ratio.toFixed(2)})`}`).join(
        ", ",
      )
    }`,
  );
}
if (report.soak) {
  lines.push(
    "",
    `Soak: ${report.soakSeconds ?? "?"} s of accepted load: ${fmt(report.soak.rps)} req/s, ` +
      `p50 ${report.soak.p50Ms.toFixed(2)} ms, p99 ${report.soak.p99Ms.toFixed(2)} ms, ` +
      `peak RSS ${report.soak.peakRssMb} MB, ${report.soak.errors} errors.`,
  );
}
if (report.storeGrowthMb.length > 0) {
  lines.push(
    "",
    `Store size (MB) every 5 s over ${
      report.growthSeconds ?? "?"
    } s with \`--tolerance 5\` (retention 10 s), 8 connections signing live:`,
    "",
    "| t (s) | " + report.storeGrowthMb.map((g) => g.t).join(" | ") + " |",
    "| --- | " + report.storeGrowthMb.map(() => "---:").join(" | ") + " |",
    "| MB | " + report.storeGrowthMb.map((g) => g.mb.toFixed(1)).join(" | ") + " |",
  );
}

const bare = row("bare");
const targets: [string, string, boolean | null][] = [];
const ratioTarget = (name: string, label: string, min: number) => {
  const r = row(name);
  if (!r || r.ratio === null) return;
  targets.push([
    `${label} ≥ ${min.toFixed(2)} × bare`,
    `${r.ratio.toFixed(2)} × (${fmt(r.rps)} req/s; ${min.toFixed(2)} × this run's bare = ${
      fmt(min * (bare?.rps ?? 0))
    }, ${min.toFixed(2)} × design §8's 31,000 = ${fmt(min * DESIGN_BARE_RPS)})`,
    r.ratio >= min,
  ]);
};
for (const [name, label, min] of RATIO_TARGETS) ratioTarget(name, label, min);
const accepted = row("accepted");
if (accepted) {
  targets.push([
    "p99 of accepted ≤ 15 ms at 32 connections",
    `${accepted.p99Ms.toFixed(2)} ms`,
    accepted.p99Ms <= 15,
  ]);
}
if (report.soak) {
  targets.push([
    `peak RSS ≤ 150 MB during a ${report.soakSeconds ?? 60} s accepted run`,
    `${report.soak.peakRssMb} MB`,
    report.soak.peakRssMb <= 150,
  ]);
}
const growth = report.storeGrowthMb;
if (growth.length >= 8) {
  const last = growth.slice(-4).map((g) => g.mb);
  const peak = Math.max(...growth.map((g) => g.mb));
  const flat = Math.max(...last) <= Math.min(...last) * 1.05;
  targets.push([
    "the store stops growing once the retention window is reached",
    `last 20 s: ${last.map((n) => n.toFixed(1)).join(", ")} MB (peak ${peak.toFixed(1)} MB)`,
    flat,
  ]);
}
lines.push("", "| target | measured | verdict |", "| --- | --- | --- |");
for (const [target, measured, met] of targets) {
  lines.push(`| ${target} | ${measured} | ${met === null ? "n/a" : verdict(met)} |`);
}
const verifyOnly = row("verify-only");
if (verifyOnly?.ratio != null) {
  const share = (name: string) => {
    const r = row(name);
    return r ? `${name} ${(r.rps / verifyOnly.rps).toFixed(2)}×` : null;
  };
  const ceiling = verifyOnly.ratio;
  const above = RATIO_TARGETS.filter(([, , min]) => min > ceiling)
    .map(([name, , min]) => `${name} ${min.toFixed(2)}`);
  lines.push(
    "",
    `The verify-only reference (bare + one \`crypto.subtle.verify\`, nothing else) reached ` +
      `${ceiling.toFixed(2)} × bare (${fmt(verifyOnly.rps)} req/s) in this run: no receiver ` +
      `that verifies with WebCrypto on one JavaScript thread reaches a higher ratio here. ${
        above.length > 0
          ? `Targets above that ceiling: ${above.join(", ")}. `
          : "Every ratio target is below it. "
      }hookgate as a share of the verify-only rate: ${
        RATIO_TARGETS.map(([name]) => share(name)).filter(Boolean).join(", ")
      }.`,
  );
}
if (accepted) {
  lines.push(
    "",
    "Absolute accepted deliveries/s against design §8's baselines (same machine, same method):",
    "",
  );
  for (const [name, rps] of BASELINES) {
    lines.push(`- ${name} ≈ ${fmt(rps)}/s: hookgate ${(accepted.rps / rps).toFixed(1)}×`);
  }
}
console.log(lines.join("\n"));

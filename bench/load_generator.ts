/**
 * The built-in load generator, used by `deno task bench` when wrk is not
 * installed: the same pre-signed deliveries, the same connection count, the
 * same summary line as bench/deliveries.lua. Runs as its own process.
 *
 * Usage: deno run -A bench/load_generator.ts URL DELIVERIES_TSV CONNECTIONS SECONDS
 */
import { createHmac } from "node:crypto";

const [url, path, connectionsArg, secondsArg] = Deno.args;
if (!url || !path) {
  throw new Error("usage: load_generator.ts URL DELIVERIES_TSV CONNECTIONS SECONDS");
}
const connections = Number(connectionsArg ?? "32");
const deadline = performance.now() + Number(secondsArg ?? "10") * 1000;

// With HOOKGATE_BENCH_SECRET set, every request is signed on the fly with a fresh
// timestamp and a unique id (the store-growth soak runs with a short tolerance,
// where pre-signed deliveries would go stale). Otherwise the file is replayed.
const liveSecret = Deno.env.get("HOOKGATE_BENCH_SECRET");
const deliveries = liveSecret ? [] : (await Deno.readTextFile(path)).split("\n").filter(Boolean)
  .map((line) => {
    const [ts, sig, ...rest] = line.split("\t");
    return { ts: ts as string, sig: sig as string, body: rest.join("\t") };
  });
let liveCounter = 0;
/** GitHub-style deliveries (the adnanh/webhook peer): the signature in `x-hub-signature-256`. */
const GITHUB_STYLE = Deno.env.get("HOOKGATE_BENCH_STYLE") === "github";

function nextDelivery(): { ts: string; sig: string; body: string } {
  if (liveSecret) {
    const ts = String(Math.floor(Date.now() / 1000));
    const body = JSON.stringify({ id: `soak_${Deno.pid}_${liveCounter++}`, event: "push" });
    const sig = createHmac("sha256", liveSecret).update(`${ts}.${body}`).digest("hex");
    return { ts, sig, body };
  }
  if (next >= deliveries.length) {
    next = 0;
    wrapped++;
  }
  return deliveries[next++] as { ts: string; sig: string; body: string };
}

const latenciesUs: number[] = [];
const statuses: Record<string, number> = {};
let next = 0;
let wrapped = 0;
let accepted = 0;
let duplicates = 0;
let socketErrors = 0;

async function worker(): Promise<void> {
  while (performance.now() < deadline) {
    const delivery = nextDelivery();
    const started = performance.now();
    try {
      const response = await fetch(url as string, {
        method: "POST",
        body: delivery.body,
        headers: GITHUB_STYLE
          ? { "content-type": "application/json", "x-hub-signature-256": `sha256=${delivery.sig}` }
          : {
            "content-type": "application/json",
            "x-timestamp": delivery.ts,
            "x-signature": delivery.sig,
          },
      });
      const text = await response.text();
      latenciesUs.push((performance.now() - started) * 1000);
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      if (response.status === 200) {
        if (text.includes("duplicate")) duplicates++;
        else if (text.includes("accepted")) accepted++;
      }
    } catch {
      socketErrors++;
    }
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: connections }, worker));
const durationUs = Math.round((performance.now() - started) * 1000);
latenciesUs.sort((a, b) => a - b);
const percentile = (p: number) =>
  Math.round(
    latenciesUs[Math.min(latenciesUs.length - 1, Math.floor(latenciesUs.length * p))] ?? 0,
  );
console.log(
  "BENCH_JSON " + JSON.stringify({
    requests: latenciesUs.length,
    durationUs,
    p50Us: percentile(0.5),
    p99Us: percentile(0.99),
    statuses,
    accepted,
    duplicates,
    wrapped,
    socketErrors,
  }),
);

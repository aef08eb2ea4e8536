/**
 * The load side of `deno task bench`: pre-signed deliveries written to a TSV file
 * (timestamp, signature, body per line, unique ids), replayed by wrk with
 * bench/deliveries.lua, or by bench/load_generator.ts where wrk is missing.
 */
import { createHmac } from "node:crypto";

export const ROOT = new URL("../", import.meta.url).pathname;

/** How a delivery is signed: hookgate's own scheme, or GitHub's (body only, `sha256=` header). */
export type SigningStyle = "hookgate" | "github";

export interface LoadSummary {
  requests: number;
  durationUs: number;
  p50Us: number;
  p99Us: number;
  statuses: Record<string, number>;
  accepted: number;
  duplicates: number;
  wrapped: number;
  socketErrors: number;
}

export interface LoadSettings {
  useWrk: boolean;
  threads: number;
  connections: number;
}

/** Writes `count` deliveries signed with `secret`, each with a unique id. */
export async function writeDeliveries(
  path: string,
  count: number,
  options: { secret: string; style?: SigningStyle },
): Promise<void> {
  const ts = String(Math.floor(Date.now() / 1000));
  const tag = crypto.randomUUID().slice(0, 8);
  const github = options.style === "github";
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const body = `{"id":"evt_${tag}_${i}","event":"push","repo":"demo","ref":"refs/heads/main"}`;
    const sig = createHmac("sha256", options.secret).update(github ? body : `${ts}.${body}`)
      .digest("hex");
    lines.push(`${ts}\t${sig}\t${body}`);
  }
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
}

/** Drives `url` for `seconds` with the deliveries in `file`; answers the generator's summary. */
export async function drive(
  url: string,
  file: string,
  options: LoadSettings & { seconds: number; style?: SigningStyle },
): Promise<LoadSummary> {
  const { pathname } = new URL(url);
  const command = options.useWrk
    ? new Deno.Command("wrk", {
      args: [
        `-t${options.threads}`,
        `-c${options.connections}`,
        `-d${options.seconds}s`,
        "-s",
        `${ROOT}bench/deliveries.lua`,
        url,
      ],
      env: {
        HOOKGATE_BENCH_DELIVERIES: file,
        HOOKGATE_BENCH_THREADS: String(options.threads),
        HOOKGATE_BENCH_PATH: pathname,
        HOOKGATE_BENCH_STYLE: options.style ?? "hookgate",
      },
      stdout: "piped",
      stderr: "piped",
    })
    : new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${ROOT}bench/load_generator.ts`,
        url,
        file,
        String(options.connections),
        String(options.seconds),
      ],
      env: { HOOKGATE_BENCH_STYLE: options.style ?? "hookgate" },
      stdout: "piped",
      stderr: "piped",
    });
  const { stdout, stderr } = await command.output();
  const text = new TextDecoder().decode(stdout);
  const line = text.split("\n").find((l) => l.startsWith("BENCH_JSON "));
  if (!line) {
    throw new Error(
      `load generator printed no summary:\n${text}\n${new TextDecoder().decode(stderr)}`,
    );
  }
  return JSON.parse(line.slice("BENCH_JSON ".length)) as LoadSummary;
}

/** Sends every delivery of `file` once (32 at a time), so a later run replays known ids. */
export async function preAccept(url: string, file: string): Promise<void> {
  const lines = (await Deno.readTextFile(file)).split("\n").filter(Boolean);
  for (let i = 0; i < lines.length; i += 32) {
    await Promise.all(
      lines.slice(i, i + 32).map(async (line) => {
        const [ts, sig, ...rest] = line.split("\t");
        const response = await fetch(url, {
          method: "POST",
          body: rest.join("\t"),
          headers: { "x-timestamp": ts as string, "x-signature": sig as string },
        });
        await response.body?.cancel();
      }),
    );
  }
}

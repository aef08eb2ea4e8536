/**
 * The canaries of the canary tests and their checks: random secrets the whole CLI
 * surface runs with, and assertions that none of them, in any form a leak could take,
 * occurs in an output, a trace file or an HTTP answer.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { cliCommand, type CliResult } from "./cli.ts";
import { type TempDir, tempDir } from "./temp_dir.ts";

function randomText(bytes: number): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...raw)).replace(/[+/=]/g, "").slice(0, Math.ceil(bytes * 1.3));
}

/** At least 16 bytes, so every command accepts it as a secret. */
export const CANARY = "cnry" + randomText(30);
export const TOKEN_CANARY = "tkcn" + randomText(30);
export const PREVIOUS_CANARY = "prev" + randomText(30);
export const ROUTE_CANARY = "rtcn" + randomText(30);
/** Too short to be accepted: the error must name the variable, not print this. */
export const SHORT_CANARY = randomText(9);
const ALL_CANARIES = [CANARY, TOKEN_CANARY, PREVIOUS_CANARY, ROUTE_CANARY, SHORT_CANARY];

export const ENV = {
  WEBHOOK_SECRET: CANARY,
  HOOKGATE_TOKEN_SECRET: TOKEN_CANARY,
  GITHUB_WEBHOOK_SECRET: ROUTE_CANARY,
};

/** Forms in which a leaked canary could appear. */
function leakForms(canary: string): string[] {
  return [canary, encodeURIComponent(canary), btoa(canary).slice(0, 24)];
}

export function assertNoCanary(label: string, ...texts: string[]): void {
  for (const text of texts) {
    for (const canary of ALL_CANARIES) {
      for (const form of leakForms(canary)) {
        assert.ok(!text.includes(form), `${label}: a canary leaked:\n${text}`);
      }
    }
  }
}

/**
 * Runs a command that must stop by itself (a refused start-up); one that is still running
 * after `timeoutMs` is stopped and reported as exit -1, so a regression fails, not hangs.
 */
export async function runBounded(
  args: string[],
  options: { env: Record<string, string>; cwd: string },
  timeoutMs = 15_000,
): Promise<CliResult> {
  const child = cliCommand(args, options).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    const { code, success, signal, stdout, stderr } = await child.output();
    const decoder = new TextDecoder();
    return {
      code: signal === null || success ? code : -1,
      stdout: decoder.decode(stdout),
      stderr: decoder.decode(stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

export function assertResultClean(label: string, result: CliResult): void {
  assertNoCanary(`${label} (stdout)`, result.stdout);
  assertNoCanary(`${label} (stderr)`, result.stderr);
}

/**
 * A response's body as far as it came: after a 413 serve drops the connection once the
 * answer's one chunk is out, which a reader of the whole body sees as an error.
 */
export async function textUntilClosed(response: Response): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  try {
    for await (const chunk of response.body ?? []) text += decoder.decode(chunk, { stream: true });
  } catch {
    // the connection ended after the answer
  }
  return text;
}

/** Every file under a directory (trace files, stores), as text, for the canary search. */
export async function filesUnder(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (path: string) => {
    for await (const entry of Deno.readDir(path)) {
      const full = `${path}/${entry.name}`;
      if (entry.isDirectory) await walk(full);
      else if (entry.isFile && /trace|\.jsonl|\.log/.test(entry.name)) {
        files.set(full, await Deno.readTextFile(full));
      }
    }
  };
  try {
    await walk(dir);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return files;
}

export function tomorrow(): string {
  return new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A scratch directory for one test, removed however the test ends. */
export function canaryDir(): Promise<TempDir> {
  return tempDir("hookgate-canary-");
}

export function traceLines(path: string): Record<string, unknown>[] {
  const text = Deno.readTextFileSync(path);
  assertNoCanary(`trace ${path}`, text);
  return text.split("\n").filter((line) => line !== "").map((line) => {
    const record = JSON.parse(line);
    assert.equal(typeof record.time, "string", line);
    return record;
  });
}

function sign(body: string, ts: number, secret: string): string {
  return createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex");
}

export interface Exchange {
  label: string;
  init: RequestInit;
  path?: string;
}

export function deliveries(): Exchange[] {
  const now = Math.floor(Date.now() / 1000);
  const good = JSON.stringify({ id: "canary-good", event: "push", note: "hello" });
  const withCanary = JSON.stringify({ id: "canary-echo", token: CANARY, note: `x ${CANARY}` });
  const headers = (body: string, ts: number, secret = CANARY) => ({
    "content-type": "application/json",
    "x-timestamp": String(ts),
    "x-signature": sign(body, ts, secret),
  });
  return [
    { label: "good", init: { method: "POST", body: good, headers: headers(good, now) } },
    {
      label: "good, again (duplicate)",
      init: { method: "POST", body: good, headers: headers(good, now) },
    },
    {
      label: "good, signed with the previous (rotated) secret",
      init: {
        method: "POST",
        body: good.replace("canary-good", "canary-previous"),
        headers: headers(good.replace("canary-good", "canary-previous"), now, PREVIOUS_CANARY),
      },
    },
    {
      label: "good, a payload holding the canary",
      init: { method: "POST", body: withCanary, headers: headers(withCanary, now) },
    },
    {
      label: "forged (signed with another secret)",
      init: {
        method: "POST",
        body: good,
        headers: headers(good, now, "not-the-secret-0123456789"),
      },
    },
    {
      label: "forged, the canary as the signature",
      init: {
        method: "POST",
        body: good,
        headers: { "x-timestamp": String(now), "x-signature": CANARY },
      },
    },
    {
      label: "stale (10 minutes old)",
      init: { method: "POST", body: good, headers: headers(good, now - 600) },
    },
    {
      label: "from the future",
      init: { method: "POST", body: good, headers: headers(good, now + 600) },
    },
    { label: "unsigned", init: { method: "POST", body: good } },
    {
      label: "malformed timestamp",
      init: { method: "POST", body: good, headers: { "x-timestamp": "12ab", "x-signature": "00" } },
    },
    {
      label: "malformed JSON, correctly signed",
      init: { method: "POST", body: "{not json", headers: headers("{not json", now) },
    },
    {
      label: "a JSON array, correctly signed",
      init: { method: "POST", body: "[1,2]", headers: headers("[1,2]", now) },
    },
    {
      label: "too large",
      init: { method: "POST", body: "x".repeat(2_000_000), headers: headers("x", now) },
    },
    {
      label: "the canary in a bearer header to the inspection API",
      path: "/events",
      init: { method: "GET", headers: { authorization: `Bearer ${CANARY}` } },
    },
    {
      label: "the canary as a query string on an unknown path",
      path: `/nope?token=${CANARY}&secret=${CANARY}`,
      init: { method: "GET" },
    },
    { label: "wrong method", init: { method: "GET" } },
    { label: "health check", path: "/healthz", init: { method: "GET" } },
  ];
}

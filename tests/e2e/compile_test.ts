/**
 * `deno task compile` for real. `deno compile` needs its runtime (denort),
 * which it downloads from dl.deno.land unless DENORT_BIN names one or Deno's
 * cache already holds it. Where neither is true the test is reported as
 * ignored, with the reason in its name: it never pretends to have passed.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import denoConfig from "../../deno.json" with { type: "json" };
import { tempDir } from "../support/temp_dir.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const VERSION = Deno.version.deno;
const NAME = "deno task compile builds dist/hookgate: --version, .env read at run time, " +
  "no build-time secret inside";

function cachedDenort(): string | null {
  const info = new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  if (!info.success) return null;
  const { denoDir } = JSON.parse(new TextDecoder().decode(info.stdout)) as { denoDir?: string };
  if (!denoDir) return null;
  const zip = `${denoDir}/dl/release/v${VERSION}/denort-${Deno.build.target}.zip`;
  return isFile(zip) ? zip : null;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Why the runtime is there, or null when it is not. */
function denortSource(): string | null {
  const fromEnv = Deno.env.get("DENORT_BIN");
  if (fromEnv && isFile(fromEnv)) return `DENORT_BIN=${fromEnv}`;
  const cached = cachedDenort();
  return cached ? `cached at ${cached}` : null;
}

const source = denortSource();

function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const pass = ["PATH", "HOME", "DENO_DIR", "DENORT_BIN"];
  const env: Record<string, string> = { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
  for (const name of pass) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)))
    .map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

function contains(haystack: Uint8Array, needle: string): boolean {
  const bytes = new TextEncoder().encode(needle);
  const first = bytes[0];
  for (
    let i = haystack.indexOf(first as number);
    i !== -1;
    i = haystack.indexOf(first as number, i + 1)
  ) {
    if (i + bytes.length > haystack.length) return false;
    let match = true;
    for (let j = 1; j < bytes.length && match; j++) match = haystack[i + j] === bytes[j];
    if (match) return true;
  }
  return false;
}

async function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args,
    cwd: options.cwd,
    clearEnv: true,
    env: childEnv(options.env),
    stdin: "null",
    signal: AbortSignal.timeout(300_000),
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

if (source === null) {
  Deno.test({
    name: `${NAME} (skipped: denort runtime for Deno ${VERSION} is not cached and cannot be ` +
      "downloaded here; set DENORT_BIN=/path/to/denort to run it)",
    ignore: true,
    fn() {},
  });
} else {
  Deno.test(`${NAME} (runtime: ${source})`, async () => {
    await using scratch = await tempDir("hookgate-compile-");
    const base = scratch.path;
    const project = `${base}/project`;
    await Deno.mkdir(project);
    const copy = await run(
      "cp",
      ["-R", `${ROOT}main.ts`, `${ROOT}deno.json`, `${ROOT}deno.lock`, `${ROOT}lib`, project],
      { cwd: base },
    );
    assert.equal(copy.code, 0, copy.stderr);
    // Secrets present while compiling, in the environment and in a .env: none may be embedded.
    const envCanary = `compile-env-canary-${randomHex(16)}`;
    const fileCanary = `compile-dotenv-canary-${randomHex(16)}`;
    await Deno.writeTextFile(`${project}/.env`, `WEBHOOK_SECRET=${fileCanary}\n`, { mode: 0o600 });

    const compiled = await run(Deno.execPath(), ["task", "compile"], {
      cwd: project,
      env: { WEBHOOK_SECRET: envCanary, HOOKGATE_COMPILE_CANARY: envCanary },
    });
    assert.equal(compiled.code, 0, compiled.stderr);
    const binary = `${project}/dist/hookgate`;
    const bytes = await Deno.readFile(binary);
    assert.ok(bytes.length > 1_000_000, "dist/hookgate is not a compiled binary");
    assert.equal(contains(bytes, envCanary), false, "an environment secret is inside the binary");
    assert.equal(contains(bytes, fileCanary), false, "a .env secret is inside the binary");
    // The scan itself works: a string that is surely in the program is found.
    assert.equal(contains(bytes, "hookgate: unknown"), true);

    const version = await run(binary, ["--version"], { cwd: base });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), `hookgate ${denoConfig.version}`);

    // A secret written to .env AFTER compiling, in the directory the binary runs in, is used.
    const runDir = `${base}/run`;
    await Deno.mkdir(runDir);
    const secret = `run-time-secret-${randomHex(16)}`;
    await Deno.writeTextFile(`${runDir}/.env`, `WEBHOOK_SECRET=${secret}\n`, { mode: 0o600 });
    const received: { headers: Headers; body: string }[] = [];
    await using receiver = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      async (req) => {
        received.push({ headers: req.headers, body: await req.text() });
        return Response.json({ status: "accepted" });
      },
    );
    const body = '{"id":"evt_compiled","event":"ping"}';
    const sent = await run(binary, [
      "send",
      `http://127.0.0.1:${receiver.addr.port}/webhook`,
      "--data",
      body,
      "--retries",
      "0",
    ], { cwd: runDir });
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(received.length, 1);
    const delivery = received[0] as { headers: Headers; body: string };
    const timestamp = delivery.headers.get("x-timestamp") ?? "";
    const expected = createHmac("sha256", secret).update(`${timestamp}.${delivery.body}`)
      .digest("hex");
    assert.equal(delivery.headers.get("x-signature"), expected);
    assert.doesNotMatch(sent.stdout + sent.stderr, new RegExp(secret));
  });
}

/**
 * One rule for a secret of digits only, in every command: it is removed like any other
 * secret (serve, doctor and send accept it as a secret, so every sink must hide it).
 */
import assert from "node:assert/strict";
import { createRedactor } from "../../lib/redact/mod.ts";
import { runCli } from "../support/cli.ts";
import { startRecordingServer } from "../support/recording_server.ts";
import { survivingFragments } from "../support/secret_fragments.ts";

const DIGITS = "27182818284590452353"; // 20 digits: long enough for every command

function recordingServer(answer: () => Response) {
  const server = startRecordingServer(answer);
  return Object.assign(server, { [Symbol.asyncDispose]: () => server.close() });
}

Deno.test("hookgate redact removes a digits-only secret from the environment", async () => {
  const result = await runCli(["redact"], {
    env: { WEBHOOK_SECRET: DIGITS },
    stdin: `leaked ${DIGITS} here, count 1024\n`,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "leaked ***redacted*** here, count 1024\n");
});

Deno.test("a digits-only secret held as a number in structured data is removed", () => {
  const secret = "4503599627370497"; // below 2^53: a JSON number holds every digit
  const redactor = createRedactor({ secrets: [secret] });
  const cleaned = redactor.value({
    amount: Number(secret),
    list: [Number(`9${secret}`.slice(0, 16)), BigInt(`7${secret}`)],
    small: 404,
    price: 12.5,
  });
  assert.doesNotMatch(
    JSON.stringify(cleaned, (_, v) => typeof v === "bigint" ? String(v) : v),
    /4503599627370497/,
  );
  assert.deepEqual(cleaned, {
    amount: "***redacted***",
    list: [Number(`9${secret}`.slice(0, 16)), "7***redacted***"],
    small: 404,
    price: 12.5,
  });
});

Deno.test("hookgate fetch removes a digits-only secret from the body it prints", async () => {
  await using server = recordingServer(() => new Response(`echo ${DIGITS}`));
  const port = new URL(server.url).port;
  const result = await runCli(["fetch", `http://localhost:${port}/`], {
    env: {
      WEBHOOK_SECRET: DIGITS,
      EGRESS_ALLOW_HOSTS: `http://localhost:${port}`,
      EGRESS_ALLOW_PRIVATE: "localhost",
    },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(survivingFragments(result.stdout, DIGITS), [], result.stdout);
});

Deno.test("hookgate send signs with a digits-only secret and never prints it", async () => {
  await using server = recordingServer(() => new Response(`your secret is ${DIGITS}`));
  const result = await runCli(["send", server.url, "--data", '{"id":"d1"}'], {
    env: { WEBHOOK_SECRET: DIGITS },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "200 your secret is ***redacted***\n");
});

Deno.test("hookgate doctor accepts a digits-only secret and never prints it", async () => {
  const result = await runCli(["doctor"], { env: { WEBHOOK_SECRET: DIGITS } });
  assert.deepEqual(survivingFragments(result.stdout + result.stderr, DIGITS), []);
  assert.doesNotMatch(result.stdout + result.stderr, /WEBHOOK_SECRET[^\n]*(?:weak|short)/i);
});

import assert from "node:assert/strict";
import { tempDir } from "../support/temp_dir.ts";
import { REDACTED } from "../../lib/redact/mod.ts";
import { cliCommand, runCli } from "../support/cli.ts";

const CANARY = "cli-canary-" + crypto.randomUUID();
const TOKEN = "ghp_" + "r".repeat(36);
const PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nKEYBODY2\n" +
  "-----END OPENSSH PRIVATE KEY-----";

Deno.test("hookgate redact copies stdin to stdout with credential shapes removed", async () => {
  const input = `GET /x?access_token=at-998877 ok\n${PEM}\nnote ${TOKEN}\nplain 3f786850e3\n`;
  const result = await runCli(["redact"], { stdin: input });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stdout,
    `GET /x?access_token=${REDACTED} ok\n${REDACTED}\nnote ${REDACTED}\nplain 3f786850e3\n`,
  );
  assert.equal(result.stderr, "");
});

Deno.test("hookgate redact removes the values of secrets in the environment by default", async () => {
  const result = await runCli(["redact"], {
    env: { WEBHOOK_SECRET: CANARY },
    stdin: `value ${CANARY} and ${encodeURIComponent(CANARY)} end\n`,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, `value ${REDACTED} and ${REDACTED} end\n`);
});

Deno.test("hookgate redact removes a route's secret whatever its variable is called", async () => {
  const result = await runCli(["redact"], {
    // GH_HOOK does not say "secret": only HOOKGATE_ROUTES says what it holds.
    env: { HOOKGATE_ROUTES: "/github=github:GH_HOOK", GH_HOOK: CANARY },
    stdin: `value ${CANARY} end\n`,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, `value ${REDACTED} end\n`);
});

Deno.test("hookgate redact removes every route's secrets while HOOKGATE_ROUTES or a _PREVIOUS is broken", async () => {
  // serve refuses such a set-up, but every other command still runs with it and must still
  // know which values are secrets: a typo in one route hides no route's secret.
  const old = "old-" + CANARY;
  const broken: Record<string, string>[] = [
    { HOOKGATE_ROUTES: "/github=github:GH_HOOK," },
    { HOOKGATE_ROUTES: "/github=github:GH_HOOK,/other path=hookgate:X" },
    { HOOKGATE_ROUTES: "/github=github:GH_HOOK", GH_HOOK_PREVIOUS: `${old}@2999-1-01T00:00:00Z` },
    {
      HOOKGATE_ROUTES: "/github=github:GH_HOOK",
      GH_HOOK_PREVIOUS: `${old}@2999-01-01T00:00:00Z,x`,
    },
  ];
  for (const env of broken) {
    const result = await runCli(["redact"], {
      env: { GH_HOOK: CANARY, ...env },
      stdin: `value ${CANARY} end ${old}\n`,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(!result.stdout.includes(CANARY), `${JSON.stringify(env)}: ${result.stdout}`);
  }
});

Deno.test("hookgate redact --secrets-from-env (the default, said explicitly) still works", async () => {
  const result = await runCli(["redact", "--secrets-from-env"], {
    env: { WEBHOOK_SECRET: CANARY },
    stdin: `value ${CANARY}\n`,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, `value ${REDACTED}\n`);
});

Deno.test("hookgate redact --no-secrets-from-env removes shapes only, not environment values", async () => {
  const result = await runCli(["redact", "--no-secrets-from-env"], {
    env: { WEBHOOK_SECRET: CANARY },
    stdin: `value ${CANARY} token=${CANARY}\n`,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, `value ${CANARY} token=${REDACTED}\n`);
});

Deno.test("hookgate redact --secrets-from-env together with --no-secrets-from-env is a usage error", async () => {
  const result = await runCli(["redact", "--secrets-from-env", "--no-secrets-from-env"], {
    stdin: "",
  });
  assert.equal(result.code, 64);
});

Deno.test("hookgate redact removes secrets from .env in the working directory by default", async () => {
  await using dir = await tempDir("hookgate-redact-");
  const cwd = dir.path;
  Deno.writeTextFileSync(`${cwd}/.env`, `GITHUB_WEBHOOK_SECRET=${CANARY}\n`);
  const result = await runCli(["redact"], {
    cwd,
    stdin: `x${CANARY}x\n`,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.ok(!result.stdout.includes(CANARY), result.stdout);
});

Deno.test("hookgate redact streams: output arrives before stdin is closed", async () => {
  const child = cliCommand(["redact"], { stdin: "" }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.getReader();
  try {
    await writer.write(new TextEncoder().encode(`first token=${CANARY}\n`));
    const { value } = await reader.read();
    assert.equal(new TextDecoder().decode(value), `first token=${REDACTED}\n`);
  } finally {
    await writer.close();
    while (!(await reader.read()).done) { /* drain */ }
    await child.status;
  }
});

Deno.test("hookgate redact stops quietly when its reader goes away", async () => {
  const child = cliCommand(["redact"], { stdin: "" }).spawn();
  const errText = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  const writer = child.stdin.getWriter();
  const line = new TextEncoder().encode(`token=${CANARY}\n`.repeat(1000));
  await writer.write(line);
  await reader.read();
  await reader.cancel();
  // Keep feeding until the child notices the closed pipe and exits.
  for (let i = 0; i < 200; i++) {
    try {
      await writer.write(line);
    } catch {
      break;
    }
  }
  await writer.close().catch(() => {});
  const status = await child.status;
  assert.equal(status.code, 0);
  assert.equal(await errText, "");
});

Deno.test("hookgate redact rejects a file argument with a usage error", async () => {
  const result = await runCli(["redact", "app.log"], { stdin: "" });
  assert.equal(result.code, 64);
  assert.match(result.stderr, /reads stdin only/);
});

Deno.test("hookgate redact --help describes the command", async () => {
  const result = await runCli(["redact", "--help"]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /--secrets-from-env/);
});

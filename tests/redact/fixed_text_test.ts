/**
 * The redactor removes values, never hookgate's own words: no help text and no message
 * template comes out of it changed.
 */
import assert from "node:assert/strict";
import { COMMANDS } from "../../lib/cli/commands.ts";
import { createRedactor, REDACTED } from "../../lib/redact/mod.ts";
import { runCli } from "../support/cli.ts";

const LIB = new URL("../../lib/", import.meta.url);
const redactor = createRedactor();

/** Files whose literals are not hookgate's fixed text: the redactor's own patterns, .env lines. */
const NOT_FIXED_TEXT = [/^redact\//, /(?:^|\/)env_text\.ts$/];

async function libFiles(dir = LIB, prefix = ""): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = prefix + entry.name;
    if (entry.isDirectory) {
      files.push(...await libFiles(new URL(`${entry.name}/`, dir), `${path}/`));
    } else if (path.endsWith(".ts") && !NOT_FIXED_TEXT.some((re) => re.test(path))) {
      files.push(path);
    }
  }
  return files.sort();
}

/** Every string and number a module exports, by name: what `${NAME}` in a template becomes. */
async function exportedConstants(files: string[]): Promise<Map<string, string>> {
  const constants = new Map<string, string>();
  for (const file of files) {
    for (const [name, value] of Object.entries(await import(new URL(file, LIB).href))) {
      if (typeof value === "string" || typeof value === "number") constants.set(name, `${value}`);
    }
  }
  return constants;
}

/**
 * A stand-in for an interpolation: a constant's own value; for a variable name the name of
 * a secret variable (the hardest case: `WEBHOOK_SECRET: reason`); for a reason a sentence;
 * for a credential a reference to one.
 */
function standIn(expression: string, constants: Map<string, string>): string {
  const constant = constants.get(expression);
  if (constant !== undefined) return constant;
  if (/reason|message|error|detail|why|problem/i.test(expression)) return "it is not usable";
  if (/(?:^|\.)(?:from|name|variable|secretVar|\w*_VAR)$/.test(expression)) {
    return "WEBHOOK_SECRET";
  }
  // A credential's own value (a link carrying a token) is a value: it stands in as a reference.
  if (/token|secret|password|credential/i.test(expression)) return "$TOKEN";
  return "42";
}

/** Every string literal and template (interpolations filled in) of a TypeScript source. */
function literals(file: string, source: string, constants: Map<string, string>): string[] {
  const found: string[] = [];
  const plugin: Deno.lint.Plugin = {
    name: "fixed-text",
    rules: {
      literals: {
        create(context) {
          return {
            Literal(node) {
              if (typeof node.value === "string") found.push(node.value);
            },
            TemplateLiteral(node) {
              found.push(
                node.quasis.map((quasi, i) => {
                  const expression = node.expressions[i];
                  const filled = expression === undefined
                    ? ""
                    : standIn(context.sourceCode.getText(expression), constants);
                  return (quasi.cooked ?? "") + filled;
                }).join(""),
              );
            },
          };
        },
      },
    },
  };
  Deno.lint.runPlugin(plugin, file, source);
  return found;
}

Deno.test("every command's --help passes through the redactor unchanged", async () => {
  for (const [name, entry] of Object.entries(COMMANDS)) {
    const { help } = await entry.load();
    const out = redactor.text(help);
    assert.equal(out, help, `hookgate ${name} --help was rewritten`);
    assert.ok(!out.includes(REDACTED) || help.includes(REDACTED), name);
  }
});

Deno.test("hookgate --help and hookgate token --help print their text as written", async () => {
  const top = await runCli(["--help"]);
  assert.equal(top.code, 0);
  assert.ok(!top.stdout.includes(REDACTED), top.stdout);
  const token = await runCli(["token", "--help"]);
  assert.equal(token.code, 0);
  assert.equal(token.stdout, (await COMMANDS.token?.load())?.help + "\n");
});

Deno.test("every message template and string in lib/ passes through the redactor unchanged", async () => {
  const files = await libFiles();
  const constants = await exportedConstants(files);
  const rewritten: string[] = [];
  let count = 0;
  for (const file of files) {
    for (const text of literals(file, await Deno.readTextFile(new URL(file, LIB)), constants)) {
      count++;
      const out = redactor.text(text);
      if (out !== text) {
        rewritten.push(`${file}: ${JSON.stringify(text)} -> ${JSON.stringify(out)}`);
      }
    }
  }
  assert.ok(count > 1000, `only ${count} literals found: the scan is broken`);
  assert.deepEqual(rewritten, []);
});

Deno.test("'SECRET_NAME: reason' messages keep their reason", () => {
  for (
    const message of [
      "WEBHOOK_SECRET: must be 'whsec_' followed by base64: copy it exactly as the provider shows it",
      "GITHUB_WEBHOOK_SECRET: decodes to fewer than 16 bytes: use a longer secret",
      "HOOKGATE_TOKEN_SECRET must differ from WEBHOOK_SECRET: run 'deno task init' for a new one",
      "credential: keep it out of shell history",
      "Stripe makes its own signing secrets: roll one in Stripe's dashboard",
      "secret: WEBHOOK_SECRET",
      "TOKEN=$(hookgate token --scope read) and TOKEN=${HOOKGATE_TOKEN}",
      'curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/events',
      "password: <your password here>",
    ]
  ) assert.equal(redactor.text(message), message);
});

Deno.test("a value under a secret key still goes, next to prose that stays", () => {
  const cases: [string, string][] = [
    ["password: hunter2 is wrong", `password: ${REDACTED} is wrong`],
    ["password: hunter", `password: ${REDACTED}`],
    ["token: XyZaBcDeFgHiJk was sent", `token: ${REDACTED} was sent`],
    ["token: abcdefghijklmnopq was sent", `token: ${REDACTED} was sent`],
    ["SOME_SECRET: r3ason-k3y", `SOME_SECRET: ${REDACTED}`],
    ["token=abc def", `token=${REDACTED} def`],
    ['{"password": "keep it out"}', `{"password": "${REDACTED}"}`],
    ["Authorization: Bearer abcdefghijkl", `Authorization: Bearer ${REDACTED}`],
  ];
  for (const [input, expected] of cases) assert.equal(redactor.text(input), expected, input);
});

Deno.test("send names the variable and keeps the whole reason of a bad secret", async () => {
  const result = await runCli(
    ["send", "--scheme", "standard", "http://127.0.0.1:9/webhook", "--data", "{}"],
    { env: { WEBHOOK_SECRET: "whsec_" + "@".repeat(24) } },
  );
  assert.equal(result.code, 78);
  assert.equal(
    result.stderr,
    "hookgate: WEBHOOK_SECRET: must be 'whsec_' followed by base64: copy it exactly as the " +
      "provider shows it\n",
  );
});

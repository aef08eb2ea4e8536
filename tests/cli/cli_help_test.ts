/**
 * Flags and help that behave the same in every command: the same help
 * sections, `did you mean`, one duration syntax, and URLs that explain
 * themselves.
 */
import assert from "node:assert/strict";
import { COMMANDS } from "../../lib/cli/mod.ts";
import { suggest } from "../../lib/cli/mod.ts";
import { schemelessSuggestion } from "../../lib/cli/url_hint.ts";
import { createRedactor } from "../../lib/redact/mod.ts";
import { SCHEMES } from "../../lib/schemes/mod.ts";
import { runCli } from "../support/cli.ts";
import { startRecordingServer } from "../support/recording_server.ts";

const SECRET = "help-test-secret-0123456789abcdef";
const TOKEN_SECRET = "help-test-token-key-0123456789abcdef";

for (const [name, entry] of Object.entries(COMMANDS)) {
  Deno.test(`hookgate ${name} --help has a summary, usage, options, an example and exit codes`, async () => {
    const help = (await entry.load()).help;
    assert.match(help, new RegExp(`^hookgate ${name} — \\S.*\\n\\nUsage: hookgate ${name}\\b`));
    assert.match(help, /\nOptions:\n/);
    assert.match(help, new RegExp(`\\nExamples?:\\n(  .*\\n)*  .*hookgate ${name}\\b`));
    assert.match(help, /\nExit codes: 0 /);
    assert.doesNotMatch(help, /deno task/, "help names the command the user has: hookgate");
    assert.equal(createRedactor().text(help), help, "the redactor leaves the help text alone");
  });
}

for (const [name, entry] of Object.entries(COMMANDS)) {
  Deno.test(`hookgate ${name} --help shows an example of each form its usage lists`, async () => {
    const help = (await entry.load()).help;
    const forms = [...help.matchAll(new RegExp(`^(?:Usage: | {7})hookgate ${name} (\\S+)`, "gm"))]
      .map((match) => match[1] as string);
    const examples = help.split(/\nExamples?:\n/)[1]?.split("\n\n")[0] ?? "";
    for (const form of forms.length > 1 ? forms : []) {
      assert.ok(examples.includes(`hookgate ${name} ${form}`), `no example of '${name} ${form}'`);
    }
  });
}

Deno.test("hookgate --help ends with examples of the first steps", async () => {
  const result = await runCli(["--help"]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /\nExamples:\n {2}hookgate init\b.*\n {2}hookgate serve\b/);
});

Deno.test("hookgate version and -v suggest --version", async () => {
  const result = await runCli(["version"]);
  assert.equal(result.code, 64);
  assert.match(result.stderr, /unknown command 'version': did you mean '--version'\?/);
  const short = await runCli(["-v"]);
  assert.equal(short.code, 64);
  assert.match(short.stderr, /unknown option '-v': did you mean '--version'\?/);
});

Deno.test("token revoke ID and token read suggest the flags they meant, exit 64", async () => {
  const env = { HOOKGATE_TOKEN_SECRET: TOKEN_SECRET };
  const revoke = await runCli(["token", "revoke", "abc"], { env });
  assert.equal(revoke.code, 64);
  assert.match(revoke.stderr, /did you mean 'hookgate token --revoke abc'\?/);
  const read = await runCli(["token", "read"], { env });
  assert.equal(read.code, 64);
  assert.match(read.stderr, /did you mean 'hookgate token --scope read'\?/);
  assert.equal(read.stdout, "", "no token is printed");
});

Deno.test("suggest() finds the near miss and nothing for an unrelated word", () => {
  assert.equal(suggest("sevre", Object.keys(COMMANDS)), "serve");
  assert.equal(suggest("--tolerence", ["--tolerance", "--port"]), "--tolerance");
  assert.equal(suggest("launch", Object.keys(COMMANDS)), null);
});

Deno.test("an unknown command or flag gets 'did you mean', exit 64", async () => {
  const command = await runCli(["sned"]);
  assert.equal(command.code, 64);
  assert.match(command.stderr, /^hookgate: unknown command 'sned': did you mean 'send'\?/);
  const flag = await runCli(["serve", "--tolerence", "5m"], { env: { WEBHOOK_SECRET: SECRET } });
  assert.equal(flag.code, 64);
  assert.match(flag.stderr, /unknown option '--tolerence' for serve: did you mean '--tolerance'\?/);
});

Deno.test("every duration flag takes 30s, 5m and 1h", async () => {
  const env = { WEBHOOK_SECRET: SECRET, HOOKGATE_TOKEN_SECRET: TOKEN_SECRET };
  const refused = /must be a duration|must be a positive whole number/;
  // Each command fails later for another reason (or succeeds): never on the duration.
  const runs = [
    await runCli([
      "serve",
      "--tolerance",
      "5m",
      "--exec-timeout",
      "1h",
      "--read-timeout",
      "30s",
      "--shutdown-grace",
      "1m",
      "--exec",
      "true",
      "--store",
      "nope:",
    ], { env }),
    await runCli([
      "send",
      "http://127.0.0.1:1/webhook",
      "--data",
      "{}",
      "--timeout",
      "30s",
      "--max-elapsed",
      "5m",
      "--retries",
      "0",
    ], { env }),
    await runCli(["fetch", "--dry-run", "--timeout", "30s", "https://example.com/"], { env }),
    await runCli(["token", "--scope", "read", "--ttl", "1h"], { env }),
    await runCli(["events", "tail", "--interval", "5m", "--url", "nope"], { env }),
  ];
  for (const run of runs) assert.doesNotMatch(run.stderr, refused);
  assert.equal(runs[3]?.code, 0, runs[3]?.stderr);
  const bare = await runCli(["serve", "--tolerance", "30s", "--store", "nope:"], { env });
  assert.doesNotMatch(bare.stderr, refused);
});

Deno.test("send localhost:8000/webhook suggests the http:// URL, exit 64", async () => {
  const result = await runCli(["send", "localhost:8000/webhook", "--data", "{}"], {
    env: { WEBHOOK_SECRET: SECRET },
  });
  assert.equal(result.code, 64);
  assert.match(result.stderr, /did you mean http:\/\/localhost:8000\/webhook\?/);
  assert.equal(schemelessSuggestion("hooks.example.com/in"), "https://hooks.example.com/in");
  assert.equal(schemelessSuggestion("https://example.com/"), null);
});

Deno.test("fetch with something that is not a URL is a usage error (64), not a denial (77)", async () => {
  const result = await runCli(["fetch", "not a url"], {
    env: { EGRESS_ALLOW_HOSTS: "api.github.com" },
  });
  assert.equal(result.code, 64);
  assert.match(result.stderr, /is not a URL/);
});

Deno.test("send prints nothing on stderr when the first attempt succeeds", async () => {
  const server = startRecordingServer(() => new Response('{"status":"accepted"}'));
  try {
    const result = await runCli(["send", server.url, "--data", "{}"], {
      env: { WEBHOOK_SECRET: SECRET },
    });
    assert.equal(result.code, 0);
    assert.equal(result.stderr, "");
    assert.match(result.stdout, /^200 /);
    const verbose = await runCli(["send", server.url, "--data", "{}", "--verbose"], {
      env: { WEBHOOK_SECRET: SECRET },
    });
    assert.match(verbose.stderr, /attempt 1\/\d+: 200/);
  } finally {
    await server.close();
  }
});

Deno.test("messages and help name 'hookgate …', never 'deno task …', for a command", async () => {
  const offenders: string[] = [];
  const root = new URL("../../lib/", import.meta.url);
  const walk = async (dir: URL): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
      if (entry.isDirectory) await walk(url);
      else if (entry.name.endsWith(".ts") && entry.name !== "install.ts") {
        const text = await Deno.readTextFile(url);
        for (const match of text.matchAll(/deno task (?:--quiet )?([a-z]+)/g)) {
          if (Object.hasOwn(COMMANDS, match[1] ?? "")) {
            offenders.push(`${url.pathname}: ${match[0]}`);
          }
        }
      }
    }
  };
  await walk(root);
  assert.deepEqual(offenders, []);
});

Deno.test("a help that lists the schemes lists every one hookgate speaks", async () => {
  let listed = 0;
  for (const [name, entry] of Object.entries(COMMANDS)) {
    const help = (await entry.load()).help.replace(/\s+/g, " ");
    const list = /SCHEME: ([a-z, ]+)/.exec(help)?.[1];
    if (list === undefined) continue;
    listed++;
    const names = list.split(",").map((n) => n.trim()).filter(Boolean);
    assert.deepEqual(names.sort(), Object.keys(SCHEMES).sort(), `hookgate ${name} --help`);
  }
  assert.ok(listed >= 2, "serve and init list the schemes");
});

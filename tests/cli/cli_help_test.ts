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

/** The words of one command line, as a shell splits it: quotes removed, up to a comment or redirection. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) {
    const bare = match[3];
    if (bare !== undefined && /^(?:#|[<>|])/.test(bare)) break;
    words.push(match[1] ?? match[2] ?? bare ?? "");
  }
  return words;
}

/** The flags a help lists in its option tables, each with whether it takes a value (`--port N`). */
function listedFlags(help: string): Map<string, boolean> {
  const flags = new Map<string, boolean>();
  for (const match of help.matchAll(/^ {2,}(?:-\w, )?(--[a-z][a-z-]*)(?: (\S+))?/gm)) {
    const value = match[2] ?? "";
    flags.set(match[1] as string, /^(?:[A-Z][A-Z_]*|[a-z]+(?:\|[a-z]+)+)$/.test(value));
  }
  return flags;
}

/** A command line after `hookgate NAME`: its positional words and the flags it gives. */
interface Invocation {
  positionals: string[];
  flags: string[];
}

/** Splits `words` into positionals and flags, a flag's value taken with it; unlisted flags go to `unknown`. */
function invocation(words: string[], listed: Map<string, boolean>, unknown: string[]): Invocation {
  const parsed: Invocation = { positionals: [], flags: [] };
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (!word.startsWith("-")) {
      parsed.positionals.push(word);
      continue;
    }
    const flag = word.split("=")[0] as string;
    const takesValue = listed.get(flag);
    if (takesValue === undefined) unknown.push(flag);
    if (takesValue === true && !word.includes("=")) i++;
    parsed.flags.push(flag);
  }
  return parsed;
}

/**
 * What is wrong with the usage forms and examples of `hookgate NAME`'s help: a form with no
 * example of it, an example that fits no form (a missing or extra argument, a subcommand the
 * usage does not list), or a flag in either that no option table lists.
 */
function usageProblems(name: string, help: string): string[] {
  const listed = listedFlags(help);
  const unknown: string[] = [];
  // Optional parts (`[--ttl 15m]`, `[options]`) are left out: a form is what it requires.
  const forms = [...help.matchAll(new RegExp(`^(?:Usage: | {7})(hookgate ${name}\\b.*)$`, "gm"))]
    .map((match) => match[1] as string)
    .map((text) => {
      const required = text.replace(/\[[^\]]*\](?:\.\.\.)?/g, " ").trim().split(/\s+/).slice(2);
      return { text, ...invocation(required, listed, unknown) };
    });
  const section = help.split(/\nExamples?:\n/)[1]?.split("\n\n")[0] ?? "";
  const examples = [
    ...section.matchAll(new RegExp(`^ +(?:[A-Z_]+=\\S+ +)*hookgate ${name}\\b(.*)$`, "gm")),
  ].map((match) => ({
    text: `hookgate ${name}${match[1]}`,
    ...invocation(shellWords(match[1] as string), listed, unknown),
  }));
  // A placeholder (URL, ROUTE/KEY) stands for any word; a lowercase word is a subcommand.
  const fits = (example: Invocation, form: Invocation) =>
    example.positionals.length === form.positionals.length &&
    form.positionals.every((word, i) => /^[A-Z]/.test(word) || example.positionals[i] === word) &&
    form.flags.every((flag) => example.flags.includes(flag));
  const problems = unknown.map((flag) => `'${flag}' is in no option table`);
  if (forms.length === 0) problems.push("no usage line");
  for (const form of forms) {
    if (!examples.some((example) => fits(example, form))) {
      problems.push(`no example of '${form.text}'`);
    }
  }
  for (const example of examples) {
    if (!forms.some((form) => fits(example, form))) {
      problems.push(`'${example.text}' fits no usage form`);
    }
  }
  if (examples.length === 0) problems.push(`no example runs 'hookgate ${name}'`);
  return problems;
}

for (const [name, entry] of Object.entries(COMMANDS)) {
  Deno.test(`hookgate ${name} --help shows an example of each usage form, and each example fits one`, async () => {
    assert.deepEqual(usageProblems(name, (await entry.load()).help), []);
  });
}

Deno.test("usageProblems() finds a form without an example, an example of no form and an unlisted flag", () => {
  const help = (usage: string, examples: string) =>
    `hookgate demo — a demo\n\nUsage: ${usage}\n\nOptions:\n  --port N   a port\n` +
    `  --json     JSON\n\nExamples:\n${examples}\n\nExit codes: 0 ok`;
  const good = help(
    "hookgate demo ls [--json]\n       hookgate demo get URL [--port N]",
    "  hookgate demo ls --json\n  hookgate demo get http://127.0.0.1 --port 8000   # a comment",
  );
  assert.deepEqual(usageProblems("demo", good), []);
  assert.deepEqual(
    usageProblems("demo", help("hookgate demo URL", "  hookgate demo --port 8000")),
    ["no example of 'hookgate demo URL'", "'hookgate demo --port 8000' fits no usage form"],
  );
  assert.deepEqual(
    usageProblems("demo", help("hookgate demo [options]", "  hookgate demo --prot 8000")),
    [
      "'--prot' is in no option table",
      "no example of 'hookgate demo [options]'",
      "'hookgate demo --prot 8000' fits no usage form",
    ],
  );
  assert.deepEqual(usageProblems("demo", help("hookgate demo", "  a sentence")), [
    "no example of 'hookgate demo'",
    "no example runs 'hookgate demo'",
  ]);
});

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

Deno.test("a single-letter flag suggests the long options it may stand for", async () => {
  const port = await runCli(["serve", "-p", "8000"]);
  assert.equal(port.code, 64);
  assert.match(port.stderr, /unknown option '-p' for serve: did you mean '--port' or '--pull'\?/);
  const data = await runCli(["send", "-d", "{}", "http://127.0.0.1:9/webhook"]);
  assert.equal(data.code, 64);
  assert.match(data.stderr, /unknown option '-d' for send: did you mean '--data'\?/);
  // Seven --exec… options: naming them all would not help; the usage does.
  const exec = await runCli(["serve", "-e", "./agent.sh"]);
  assert.equal(exec.code, 64);
  assert.match(exec.stderr, /unknown option '-e' for serve\n/);
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
  await using server = startRecordingServer(() => new Response('{"status":"accepted"}'));
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

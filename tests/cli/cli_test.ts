import assert from "node:assert/strict";
import denoConfig from "../../deno.json" with { type: "json" };
import { COMMANDS } from "../../lib/cli/mod.ts";
import { parseCommandArgs } from "../../lib/cli/args.ts";
import { CliError } from "../../lib/cli/cli_error.ts";
import { runCli } from "../support/cli.ts";

Deno.test("hookgate --help prints every command on stdout and exits 0", async () => {
  const result = await runCli(["--help"]);
  assert.equal(result.code, 0);
  assert.equal(result.stderr, "");
  assert.match(result.stdout, /Usage: hookgate <command>/);
  for (const name of Object.keys(COMMANDS)) {
    assert.match(result.stdout, new RegExp(`^  ${name} `, "m"), `${name} is not listed`);
  }
});

Deno.test("hookgate -h is --help", async () => {
  const long = await runCli(["--help"]);
  const short = await runCli(["-h"]);
  assert.equal(short.code, 0);
  assert.equal(short.stdout, long.stdout);
});

Deno.test("hookgate --version prints the version from deno.json and exits 0", async () => {
  for (const flag of ["--version", "-V"]) {
    const result = await runCli([flag]);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, `hookgate ${denoConfig.version}\n`);
    assert.equal(result.stderr, "");
  }
});

Deno.test("hookgate with no command prints usage on stderr and exits 64", async () => {
  const result = await runCli([]);
  assert.equal(result.code, 64);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /Usage: hookgate <command>/);
});

Deno.test("hookgate rejects an unknown command with usage on stderr and exit 64", async () => {
  const result = await runCli(["launch"]);
  assert.equal(result.code, 64);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /unknown command 'launch'/);
  assert.match(result.stderr, /Run 'hookgate --help'/);
});

Deno.test("hookgate rejects an unknown global flag with exit 64", async () => {
  const result = await runCli(["--verbose"]);
  assert.equal(result.code, 64);
  assert.match(result.stderr, /unknown option '--verbose'/);
  assert.match(result.stderr, /Run 'hookgate --help'/);
});

for (const name of ["init", "doctor"]) {
  Deno.test(`hookgate ${name} --help prints its help on stdout and exits 0`, async () => {
    const result = await runCli([name, "--help"]);
    assert.equal(result.code, 0);
    assert.equal(result.stderr, "");
    assert.match(result.stdout, new RegExp(`^hookgate ${name} — `));
    assert.match(result.stdout, new RegExp(`Usage: hookgate ${name}`));
  });

  Deno.test(`hookgate ${name} rejects an unknown flag with its usage on stderr and exit 64`, async () => {
    const result = await runCli([name, "--no-such-flag"]);
    assert.equal(result.code, 64);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /unknown option '--no-such-flag'/);
    assert.match(result.stderr, new RegExp(`Usage: hookgate ${name}`));
  });
}

Deno.test("hookgate help <command> prints that command's help", async () => {
  const viaHelp = await runCli(["help", "doctor"]);
  const viaFlag = await runCli(["doctor", "--help"]);
  assert.equal(viaHelp.code, 0);
  assert.equal(viaHelp.stdout, viaFlag.stdout);
});

Deno.test("hookgate <command> --help needs no .env and no env permission", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hookgate-cli-" });
  try {
    await Deno.mkdir(`${dir}/.env`);
    const result = await runCli(["init", "--help"], { cwd: dir, permissions: ["--allow-read"] });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Usage: hookgate init/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every registered command module has --help (those present in the tree)", async () => {
  for (const name of Object.keys(COMMANDS)) {
    const path = new URL(`../../lib/cli/${name}.ts`, import.meta.url);
    if (!(await Deno.stat(path).then(() => true, () => false))) continue;
    const result = await runCli([name, "--help"]);
    assert.equal(result.code, 0, `${name} --help: ${result.stderr}`);
    assert.ok(result.stdout.trim().length > 0, `${name} --help printed nothing`);
  }
});

Deno.test("a flag without its value is a usage error that names the flag, in hookgate's words", async () => {
  const options = { port: { type: "string" }, quiet: { type: "boolean", short: "q" } } as const;
  const cases: [string[], RegExp][] = [
    [["--port"], /^--port needs a value \(--port VALUE; .*--port=-VALUE\)$/m],
    [["--port", "--quiet"], /^--port needs a value /m],
    [["--quiet=yes"], /^--quiet takes no value: give it alone$/m],
  ];
  for (const [args, expected] of cases) {
    let caught: unknown = null;
    try {
      parseCommandArgs("serve", args, options);
    } catch (error) {
      caught = error;
    }
    if (!(caught instanceof CliError)) throw new Error(`${args.join(" ")}: ${caught}`);
    assert.equal(caught.exitCode, 64);
    assert.match(caught.message, expected, args.join(" "));
    assert.doesNotMatch(caught.message, /Option '/, "node's own wording");
    assert.match(caught.message, /Run 'hookgate serve --help' for usage\./);
  }
  const live = await runCli(["serve", "--port"]);
  assert.equal(live.code, 64);
  assert.match(live.stderr, /--port needs a value/);
});

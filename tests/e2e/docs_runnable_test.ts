/**
 * Runnable documentation: every ```sh runnable block in README.md and docs/
 * is executed, each in a fresh temporary directory with `hookgate` on the PATH
 * (the same permissions as the installed command), so the docs cannot drift
 * from the program.
 *
 * In a block:
 *   - a line that is not a comment is a command, run by /bin/sh in the block's directory;
 *     it must exit 0 unless a `# exit N` line follows it;
 *   - `hookgate serve …` starts serve in the background on a free port; its address then
 *     replaces 127.0.0.1:8000 in the commands and expected lines after it;
 *   - `# → TEXT` is a line the command before must print (stdout or stderr);
 *   - `# serve → TEXT` is a line serve must print (waited for: a sync point);
 *   - in TEXT, `…` stands for any text.
 */
import assert from "node:assert/strict";
import { everyCommandPermissions, permissionFlags } from "../../lib/setup/mod.ts";
import { childEnv } from "../support/cli.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DOC_ADDRESS = "127.0.0.1:8000";
const WAIT_MS = 20_000;

interface Step {
  command: string;
  line: number;
  expected: string[];
  serveExpected: string[];
  exitCode: number;
}

interface Block {
  file: string;
  line: number;
  steps: Step[];
}

/** The runnable blocks of one Markdown file. */
function runnableBlocks(file: string, text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split("\n");
  let current: Block | null = null;
  for (const [index, raw] of lines.entries()) {
    const line = raw.trimEnd();
    if (current === null) {
      if (/^```sh runnable\s*$/.test(line)) current = { file, line: index + 1, steps: [] };
      continue;
    }
    if (line === "```") {
      blocks.push(current);
      current = null;
      continue;
    }
    const last = current.steps.at(-1);
    const expected = /^# → (.*)$/.exec(line);
    const served = /^# serve → (.*)$/.exec(line);
    const exit = /^# exit ([0-9]+)$/.exec(line);
    if (expected || served || exit) {
      assert.ok(last, `${file}:${index + 1}: an expectation before any command`);
      if (expected) last.expected.push(expected[1] as string);
      if (served) last.serveExpected.push(served[1] as string);
      if (exit) last.exitCode = Number(exit[1]);
    } else if (line !== "" && !line.startsWith("#")) {
      current.steps.push({
        command: line,
        line: index + 1,
        expected: [],
        serveExpected: [],
        exitCode: 0,
      });
    }
  }
  return blocks;
}

function pattern(text: string): RegExp {
  const escaped = text.split("…").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`);
}

function hasLine(output: string, text: string): boolean {
  const wanted = pattern(text);
  return output.split("\n").some((line) => wanted.test(line.trimEnd()));
}

async function writeWrapper(bin: string): Promise<void> {
  await Deno.mkdir(bin, { recursive: true });
  const flags = permissionFlags(everyCommandPermissions(ROOT)).map((flag) => `'${flag}'`);
  await Deno.writeTextFile(
    `${bin}/hookgate`,
    `#!/bin/sh\nexec '${Deno.execPath()}' run --quiet --no-prompt --cached-only ` +
      `--config '${ROOT}deno.json' ${flags.join(" ")} '${ROOT}main.ts' "$@"\n`,
    { mode: 0o755 },
  );
}

interface Serve extends AsyncDisposable {
  address: string;
  output(): string;
}

async function startServe(command: string, cwd: string, env: Record<string, string>) {
  const line = command.replace(/\s+#.*$/, "");
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", `exec ${line} --port 0`],
    cwd,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  const reading = Promise.all([child.stdout, child.stderr].map(async (stream) => {
    for await (const chunk of stream) chunks.push(decoder.decode(chunk, { stream: true }));
  }));
  const serve: Serve = {
    address: "",
    output: () => chunks.join(""),
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await child.status;
      await reading;
    },
  };
  const deadline = Date.now() + WAIT_MS;
  while (true) {
    const match = /listening on http:\/\/([^/\s]+)\//.exec(serve.output());
    if (match) return Object.assign(serve, { address: match[1] as string });
    if (Date.now() > deadline) {
      await serve[Symbol.asyncDispose]();
      throw new Error(`'${line}' did not listen in time:\n${serve.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function runBlock(block: Block): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "hookgate-docs-" });
  const bin = `${dir}/.bin`;
  await writeWrapper(bin);
  const env = childEnv({ PATH: `${bin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` });
  const project = `${dir}/project`;
  await Deno.mkdir(project);
  let serve: Serve | null = null;
  try {
    for (const step of block.steps) {
      const where = `${block.file}:${step.line}`;
      const swap = (text: string) =>
        serve === null ? text : text.replaceAll(DOC_ADDRESS, serve.address);
      if (/^hookgate serve\b/.test(step.command)) {
        assert.equal(serve, null, `${where}: one serve per block`);
        serve = await startServe(step.command, project, env);
      } else {
        const result = await new Deno.Command("/bin/sh", {
          args: ["-c", swap(step.command)],
          cwd: project,
          env,
          clearEnv: true,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).output();
        const decoder = new TextDecoder();
        const output = decoder.decode(result.stdout) + decoder.decode(result.stderr);
        assert.equal(
          result.code,
          step.exitCode,
          `${where}: '${step.command}' exited ${result.code}:\n${output}`,
        );
        for (const text of step.expected) {
          assert.ok(
            hasLine(output, swap(text)),
            `${where}: expected a line '${text}' in:\n${output}`,
          );
        }
      }
      for (const text of step.serveExpected) {
        const current = serve as Serve | null;
        assert.ok(current !== null, `${where}: '# serve →' without a serve`);
        const deadline = Date.now() + WAIT_MS;
        while (!hasLine(current.output(), swap(text))) {
          if (Date.now() > deadline) {
            assert.fail(`${where}: serve did not print '${text}':\n${current.output()}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    }
  } finally {
    await (serve as Serve | null)?.[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
}

const files = [
  `${ROOT}README.md`,
  ...[...Deno.readDirSync(`${ROOT}docs`)].filter((entry) => entry.name.endsWith(".md"))
    .map((entry) => `${ROOT}docs/${entry.name}`).sort(),
];
const blocks = files.flatMap((path) =>
  runnableBlocks(path.slice(ROOT.length), Deno.readTextFileSync(path))
);

Deno.test("the README has runnable blocks, and its quick start is one of them", () => {
  assert.ok(blocks.some((block) => block.file === "README.md" && block.steps.length >= 5));
});

for (const block of blocks) {
  Deno.test(`runnable docs: ${block.file}:${block.line} runs as written`, () => runBlock(block));
}

Deno.test("runnableBlocks() reads commands, expected lines and exit codes", () => {
  const [block] = runnableBlocks(
    "x.md",
    [
      "```sh runnable",
      "hookgate serve   # a comment",
      "# serve → … listening …",
      "hookgate send http://127.0.0.1:8000/webhook",
      "# → 200 …",
      "# exit 1",
      "```",
    ].join("\n"),
  );
  assert.equal(block?.steps.length, 2);
  assert.deepEqual(block?.steps[0]?.serveExpected, ["… listening …"]);
  assert.deepEqual(block?.steps[1]?.expected, ["200 …"]);
  assert.equal(block?.steps[1]?.exitCode, 1);
  assert.ok(
    hasLine("a\n12:00:01 401 POST /webhook bad signature\n", "… 401 POST /webhook bad signature"),
  );
});

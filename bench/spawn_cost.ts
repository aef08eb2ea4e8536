/**
 * `deno task bench:spawn`: what one hand-off to `--exec true` costs, and how much of
 * it is the containment. Runs `true` N times, one after the other, through hookgate's
 * own runExec() in each containment this machine allows, and once as a bare spawn
 * (what adnanh/webhook does per hook), and prints per run: the CPU of this process
 * alone (Deno's spawn, pipes and reaping, on the thread that also receives), with the
 * reaped children (every program the launch chain executes), and the wall time.
 *
 * A second table times the synchronous `spawn()` call alone, the same launch command
 * runExec() starts: the JavaScript thread is held that long (Deno's spawn waits until
 * the child has started its program), and `serve` receives on that thread.
 *
 * Usage: deno task bench:spawn [--runs 300]
 */
import { parseArgs } from "node:util";
import { cpuMicros } from "./proc_stats.ts";
import { type Containment, type Launch, launchCommand, runExec } from "../lib/handoff/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { runs: { type: "string", default: "300" } },
});
const RUNS = Number(values.runs);
const env = { PATH: "/usr/bin:/bin" };

/** This process's CPU µs: its own, and with the children it reaped. */
function cpu(): { self: number; all: number } {
  return { self: cpuMicros(Deno.pid, "own"), all: cpuMicros(Deno.pid) };
}

async function perRun(run: () => Promise<unknown>): Promise<[number, number, number]> {
  const before = cpu();
  const started = performance.now();
  for (let i = 0; i < RUNS; i++) await run();
  const after = cpu();
  return [
    (after.self - before.self) / RUNS,
    (after.all - before.all) / RUNS,
    ((performance.now() - started) * 1000) / RUNS,
  ];
}

/** Mean µs the calling thread spends inside `spawn()` for `program args`. */
async function heldInSpawn(program: string, args: string[]): Promise<number> {
  let held = 0;
  for (let i = 0; i < RUNS; i++) {
    const command = new Deno.Command(program, {
      args,
      clearEnv: true,
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    });
    const started = performance.now();
    const child = command.spawn();
    held += performance.now() - started;
    await child.stdin.close();
    await child.output();
  }
  return (held * 1000) / RUNS;
}

const launches: [string, Launch | null][] = [[
  "bare spawn of /bin/true (no shell, no containment)",
  null,
]];
const containments: Containment[] = ["process-group", "user-pid-namespace", "pid-namespace"];
for (const containment of containments) {
  const launch = { containment, identity: null };
  const probe = await runExec("true", {
    stdin: new Uint8Array(),
    env,
    timeoutMs: 10_000,
    maxOutputBytes: 1024,
    launch,
  });
  if (probe.exitCode !== 0) {
    const why = new TextDecoder().decode(probe.stderr.bytes).trim() || probe.spawnError;
    console.error(`skipped ${containment}: not allowed here (${why})`);
    continue;
  }
  launches.push([`hookgate --exec true, ${containment}`, launch]);
}

console.log(
  `| ${RUNS} runs of \`true\`, one at a time | this process CPU µs | with children | wall µs |`,
);
console.log("| --- | ---: | ---: | ---: |");
for (const [name, launch] of launches) {
  const run = launch === null
    ? () => new Deno.Command("/bin/true", { clearEnv: true, env, stdout: "null" }).output()
    : () =>
      runExec("true", {
        stdin: new TextEncoder().encode('{"id":"e1"}'),
        env,
        timeoutMs: 10_000,
        maxOutputBytes: 64 * 1024,
        launch,
      });
  const [self, all, wall] = await perRun(run);
  console.log(`| ${name} | ${self.toFixed(0)} | ${all.toFixed(0)} | ${wall.toFixed(0)} |`);
}

console.log(`\n| the same, \`spawn()\` alone | JS thread held µs |`);
console.log("| --- | ---: |");
for (const [name, launch] of launches) {
  const argv = launch === null
    ? { program: "/bin/true", args: [] }
    : launchCommand(launch, ["/bin/sh", "-c", "true"]);
  console.log(`| ${name} | ${(await heldInSpawn(argv.program, argv.args)).toFixed(0)} |`);
}

/**
 * Least privilege as deno.json writes it, deno.json being the one source: parsing a task's
 * flags, their union, narrowing, and what each command's task grants. That the grants hold
 * in a running process is permissions_enforced_test.ts.
 */
import assert from "node:assert/strict";
import { runFlags, task, TASKS } from "../support/task_project.ts";
import {
  narrowPermissions,
  parsePermissionFlags,
  PERMISSION_KINDS,
  type PermissionSet,
  unionPermissions,
} from "../../lib/setup/mod.ts";

/** Every hookgate command has a task of its own name. */
const COMMAND_TASKS = [
  "serve",
  "send",
  "fetch",
  "mcp",
  "redact",
  "init",
  "doctor",
  "token",
  "rotate",
  "events",
  "ui",
];

/** The tasks that run hookgate's main.ts: one per command. */
function commandTaskNames(): string[] {
  return Object.keys(TASKS).filter((name) => /^deno run .*\smain\.ts\s/.test(TASKS[name] ?? ""));
}

/** Sorted, so two grants compare equal whatever order their entries are listed in. */
function canonical(set: PermissionSet): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const kind of PERMISSION_KINDS) {
    const grant = set[kind];
    if (grant !== undefined) result[kind] = grant === "all" ? "all" : [...grant].sort();
  }
  return result;
}

// ---------------------------------------------------------------- pure parts

Deno.test("parsePermissionFlags() reads listed entries, bare flags and -A, and stops at the script", () => {
  assert.deepEqual(
    parsePermissionFlags(
      "deno run --no-prompt --allow-read=.env,.hookgate --allow-net --allow-run=git main.ts " +
        "serve --allow-write",
    ),
    { read: [".env", ".hookgate"], net: "all", run: ["git"] },
  );
  assert.deepEqual(parsePermissionFlags("deno bench -A bench/").write, "all");
});

Deno.test("unionPermissions() merges listed entries and lets a bare flag win", () => {
  assert.deepEqual(
    unionPermissions([
      { read: [".env"], net: ["127.0.0.1"] },
      { read: [".env", "."], net: "all", run: ["git"] },
    ]),
    { read: [".env", "."], net: "all", run: ["git"] },
  );
});

Deno.test("narrowPermissions() revokes missing kinds, uncovered entries and dropped kinds only", async () => {
  const revoked: Deno.PermissionDescriptor[] = [];
  const result = await narrowPermissions(
    {
      read: [".env", ".hookgate"],
      write: [".hookgate"],
      env: "all",
      net: ["127.0.0.1"],
      run: ["/bin/sh"],
    },
    {
      granted: {
        read: [".env", ".hookgate", ".", ".gitignore", ".hookgate/tokens.kv"],
        write: [".hookgate", "."],
        env: "all",
        net: "all",
        run: ["/bin/sh", "git"],
      },
      drop: ["run"],
      revoke: (descriptor) => {
        revoked.push(descriptor);
        return Promise.resolve();
      },
    },
  );
  assert.deepEqual(result, [
    "read:.",
    "read:.gitignore",
    "write:.",
    "run",
    "sys",
    "ffi",
  ]);
  assert.deepEqual(revoked[0], { name: "read", path: "." });
  assert.deepEqual(revoked[3], { name: "run" });
});

// ---------------------------------------------------------------- deno.json

Deno.test("deno.json: every command has its own task running main.ts", () => {
  assert.deepEqual(commandTaskNames().sort(), [...COMMAND_TASKS].sort());
});

Deno.test("deno.json: command tasks never prompt and never use --allow-all; only bench does", () => {
  for (const name of commandTaskNames()) {
    const flags = runFlags(name);
    assert.ok(flags.includes("--no-prompt"), `task '${name}' lacks --no-prompt`);
  }
  for (const [name, line] of Object.entries(TASKS)) {
    const all = line.split(/\s+/).some((token) => token === "-A" || token === "--allow-all");
    assert.equal(all, name.startsWith("bench"), `task '${name}' uses -A`);
  }
});

Deno.test("deno.json: compile grants exactly the union of the command tasks' permissions", () => {
  const union = unionPermissions(
    commandTaskNames().map((name) => parsePermissionFlags(task(name))),
  );
  assert.deepEqual(canonical(parsePermissionFlags(task("compile"))), canonical(union));
});

Deno.test("deno.json: compile never prompts, embeds no .env, bundles the fetch worker, builds dist/hookgate", () => {
  const tokens = task("compile").split(/\s+/);
  assert.deepEqual(tokens.slice(0, 2), ["deno", "compile"]);
  assert.ok(tokens.includes("--no-prompt"));
  assert.ok(!tokens.some((token) => token.startsWith("--env-file") || token === "--env"));
  assert.ok(tokens.join(" ").includes("--include lib/egress/fetch_worker_entry.ts"));
  assert.ok(tokens.join(" ").includes("--output dist/hookgate"));
  assert.equal(tokens.at(-1), "main.ts");
});

Deno.test("deno.json: only serve (for --exec), init and doctor (git) run programs, net only where a host is reached (events: --url; token: --revoke on a Redis store)", () => {
  const runs: Record<string, unknown> = {};
  const nets: string[] = [];
  for (const name of commandTaskNames()) {
    const set = parsePermissionFlags(task(name));
    if (set.run !== undefined) runs[name] = set.run;
    if (set.net !== undefined) nets.push(name);
    assert.equal(set.sys, undefined, `task '${name}' grants sys`);
    assert.equal(set.ffi, undefined, `task '${name}' grants ffi`);
  }
  // serve's is unrestricted: Deno.kill of --exec's process group needs it (a shell runs
  // anything anyway); serve drops it at start-up unless --exec is configured.
  assert.deepEqual(runs, { serve: "all", init: ["git"], doctor: ["git"] });
  assert.deepEqual(nets.sort(), ["events", "fetch", "mcp", "send", "serve", "token"]);
  assert.notEqual(parsePermissionFlags(task("serve")).net, "all");
});

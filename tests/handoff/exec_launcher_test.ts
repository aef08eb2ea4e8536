import assert from "node:assert/strict";
import {
  type AgentIdentity,
  launchCommand,
  leadingProgram,
  parsePasswdLine,
  resolveProgram,
} from "../../lib/handoff/mod.ts";

const AGENT: AgentIdentity = { name: "agent", uid: 1001, gid: 1002, home: "/home/agent" };
const SH = ["/bin/sh", "-c", "./agent.sh"];
/** The switch to AGENT's user and group, with no extra groups, no new privileges and a parent-death signal. */
const AS_AGENT = [
  "setpriv",
  "--reuid",
  "1001",
  "--regid",
  "1002",
  "--clear-groups",
  "--no-new-privs",
  "--pdeathsig",
  "KILL",
  "--",
];

Deno.test("launchCommand() puts the agent in a PID namespace under a parent-death signal, switching user inside", () => {
  const launched = launchCommand({ containment: "pid-namespace", identity: AGENT }, SH);
  assert.equal(launched.program, "setsid");
  assert.equal(launched.detached, false);
  assert.deepEqual(launched.args, [
    "--",
    "setpriv",
    "--pdeathsig",
    "KILL",
    "--",
    "unshare",
    "--pid",
    "--fork",
    "--kill-child",
    "--",
    ...AS_AGENT,
    ...SH,
  ]);
});

Deno.test("launchCommand() without a user or namespaces still sets the parent-death signal on a session of its own", () => {
  assert.deepEqual(launchCommand({ containment: "process-group", identity: null }, SH), {
    program: "setsid",
    args: ["--", "setpriv", "--pdeathsig", "KILL", "--", ...SH],
    detached: false,
  });
  assert.deepEqual(launchCommand({ containment: "process-group", identity: AGENT }, SH).args, [
    "--",
    ...AS_AGENT,
    ...SH,
  ]);
  assert.deepEqual(launchCommand({ containment: "session", identity: null }, SH), {
    program: "/bin/sh",
    args: ["-c", "./agent.sh"],
    detached: true,
  });
});

Deno.test("launchCommand() refuses a user switch where it cannot happen", () => {
  assert.throws(() => launchCommand({ containment: "user-pid-namespace", identity: AGENT }, SH));
  assert.throws(() => launchCommand({ containment: "session", identity: AGENT }, SH));
});

Deno.test("parsePasswdLine() reads name, uid, gid and home, and refuses anything else", () => {
  assert.deepEqual(parsePasswdLine("agent:x:1001:1002:Agent,,,:/home/agent:/bin/sh\n"), AGENT);
  assert.equal(parsePasswdLine("agent:x:uid:1002::/:/bin/sh"), null);
  assert.equal(parsePasswdLine("not a passwd line"), null);
});

Deno.test("leadingProgram() finds the program of a plain command line and gives up on shell syntax", () => {
  const word = (command: string) => leadingProgram(command)?.word ?? null;
  assert.equal(word("./agent.sh --mode triage"), "./agent.sh");
  assert.equal(word("  MODE=triage LANG=C python3 agent.py"), "python3");
  assert.equal(word("'/opt/my agent/run' x"), "/opt/my agent/run");
  assert.equal(word("true"), "true");
  assert.equal(word("agent.sh; echo done"), "agent.sh");
  assert.equal(word("if true; then x; fi"), null);
  assert.equal(word("$AGENT"), null);
  assert.equal(word('"$HOME/agent"'), null);
  assert.equal(word("(cd x && run)"), null);
  assert.equal(word("a$b"), null);
});

Deno.test("resolveProgram() makes a relative program path absolute against serve's directory, quoted", () => {
  const cases: [string, string, { command: string; program: string | null }][] = [
    ["./agent.sh --x", "/srv/project", {
      command: "/srv/project/agent.sh --x",
      program: "/srv/project/agent.sh",
    }],
    ["bin/../agent.sh", "/srv/my project", {
      command: "'/srv/my project/agent.sh'",
      program: "/srv/my project/agent.sh",
    }],
    ["python3 agent.py", "/srv", { command: "python3 agent.py", program: "python3" }],
    ["/usr/bin/env x", "/srv", { command: "/usr/bin/env x", program: "/usr/bin/env" }],
    ["$AGENT", "/srv", { command: "$AGENT", program: null }],
  ];
  for (const [command, dir, expected] of cases) {
    assert.deepEqual(resolveProgram(command, dir), expected, `${command} in ${dir}`);
  }
});

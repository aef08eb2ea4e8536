import assert from "node:assert/strict";
import { parseExecSettings } from "../../lib/handoff/mod.ts";

Deno.test("parseExecSettings() is null without --exec, so serve keeps printing events", () => {
  assert.deepEqual(parseExecSettings({}), { ok: true, value: null });
});

Deno.test("parseExecSettings() defaults to 60 s, 5 attempts, concurrency 1", () => {
  assert.deepEqual(parseExecSettings({ exec: "./agent.sh" }), {
    ok: true,
    value: {
      command: "./agent.sh",
      envAllowlist: [],
      timeoutMs: 60_000,
      maxAttempts: 5,
      concurrency: 1,
      user: null,
      cwd: null,
    },
  });
});

Deno.test("parseExecSettings() reads every --exec flag", () => {
  const parsed = parseExecSettings({
    exec: "./agent.sh",
    "exec-env": ["AGENT_MODE", "OPENAI_BASE_URL"],
    "exec-timeout": "90s",
    "exec-attempts": "3",
    "exec-concurrency": "4",
    "exec-user": "agent",
    "exec-cwd": "/srv/agent",
  });
  assert.deepEqual(parsed, {
    ok: true,
    value: {
      command: "./agent.sh",
      envAllowlist: ["AGENT_MODE", "OPENAI_BASE_URL"],
      timeoutMs: 90_000,
      maxAttempts: 3,
      concurrency: 4,
      user: "agent",
      cwd: "/srv/agent",
    },
  });
});

Deno.test("parseExecSettings() refuses bad values and --exec-* without --exec, naming the flag", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ "exec-timeout": "5s" }, /--exec-timeout needs --exec/],
    [{ "exec-user": "agent" }, /--exec-user needs --exec/],
    [{ "exec-cwd": "/srv" }, /--exec-cwd needs --exec/],
    [{ exec: "x", "exec-user": "a b" }, /--exec-user takes a user name or a numeric uid/],
    [{ exec: "x", "exec-cwd": " " }, /--exec-cwd needs a directory/],
    [{ exec: "  " }, /--exec needs a command/],
    [{ exec: "x", "exec-env": ["BAD-NAME"] }, /--exec-env takes a variable name/],
    [{ exec: "x", "exec-timeout": "soon" }, /--exec-timeout must be a duration/],
    [{ exec: "x", "exec-timeout": "2d" }, /--exec-timeout must be at most 24h/],
    [{ exec: "x", "exec-attempts": "0" }, /--exec-attempts must be a positive whole number/],
    [{ exec: "x", "exec-concurrency": "1000" }, /--exec-concurrency must be at most 64/],
  ];
  for (const [values, reason] of cases) {
    const parsed = parseExecSettings(values);
    assert.equal(parsed.ok, false, JSON.stringify(values));
    assert.match(parsed.ok ? "" : parsed.reason, reason);
  }
});

Deno.test("parseExecSettings() takes the agent's user from HOOKGATE_EXEC_USER unless --exec-user is given", () => {
  const env = { HOOKGATE_EXEC_USER: "agent" };
  const fromEnv = parseExecSettings({ exec: "./agent.sh" }, env);
  assert.equal(fromEnv.ok && fromEnv.value?.user, "agent");
  const fromFlag = parseExecSettings({ exec: "./agent.sh", "exec-user": "1001" }, env);
  assert.equal(fromFlag.ok && fromFlag.value?.user, "1001");
  assert.match(
    JSON.stringify(parseExecSettings({ exec: "x" }, { HOOKGATE_EXEC_USER: "bad user" })),
    /HOOKGATE_EXEC_USER takes a user name/,
  );
});

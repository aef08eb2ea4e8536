/**
 * `hookgate mcp` as a client sees it: the real process over stdio with the
 * SDK's Client, under the mcp task's permissions.
 */
import assert from "node:assert/strict";
import { ROOT, runCli } from "../support/cli.ts";
import { tempDir } from "../support/temp_dir.ts";
import { mcpTaskFlags, startMcp, tempProject, textOf } from "../support/mcp_session.ts";

const ENV_FILE = "WEBHOOK_SECRET=mcp-cli-test-secret-0123456789\n";

Deno.test("mcp lists its six tools, each with a description and an input schema", async () => {
  await using project = await tempProject(ENV_FILE);
  await using mcp = await startMcp({ cwd: project.dir });
  const { tools } = await mcp.client.listTools();
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  assert.deepEqual(
    [...byName.keys()].sort(),
    ["event_get", "events_ack", "events_fail", "events_list", "events_next", "fetch_url"],
  );
  for (const tool of tools) {
    assert.ok((tool.description ?? "").length > 60, `${tool.name} has a real description`);
    assert.equal(tool.inputSchema.type, "object");
  }
  const schema = (name: string) => byName.get(name)?.inputSchema;
  assert.deepEqual(schema("fetch_url")?.required, ["url"]);
  assert.deepEqual(Object.keys(schema("fetch_url")?.properties ?? {}).sort(), [
    "body",
    "headers",
    "max_bytes",
    "method",
    "url",
  ]);
  assert.deepEqual(
    (schema("fetch_url")?.properties?.method as { enum?: string[] } | undefined)?.enum,
    ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
  );
  assert.deepEqual(schema("events_next")?.required ?? [], []);
  assert.deepEqual(Object.keys(schema("events_next")?.properties ?? {}).sort(), [
    "route",
    "wait_seconds",
  ]);
  assert.deepEqual(schema("events_ack")?.required, ["route", "key"]);
  assert.deepEqual(schema("events_fail")?.required, ["route", "key", "error"]);
  assert.deepEqual(
    (schema("events_list")?.properties?.status as { enum?: string[] } | undefined)?.enum,
    ["pending", "done", "dead"],
  );
  assert.deepEqual(schema("event_get")?.required, ["route", "key"]);
  assert.equal(mcp.client.getServerVersion()?.name, "hookgate");
  assert.match(mcp.client.getInstructions() ?? "", /events_next/);
});

Deno.test("mcp --tools fetch offers fetch_url only and opens no store", async () => {
  await using project = await tempProject(ENV_FILE);
  await using mcp = await startMcp({ cwd: project.dir, args: ["--tools", "fetch"] });
  const { tools } = await mcp.client.listTools();
  assert.deepEqual(tools.map((tool) => tool.name), ["fetch_url"]);
  await assert.rejects(Deno.stat(`${project.dir}/.hookgate`), Deno.errors.NotFound);
  // The model is told to use only the tools it has.
  const instructions = mcp.client.getInstructions() ?? "";
  assert.match(instructions, /fetch_url/);
  assert.doesNotMatch(instructions, /events?_|webhook/);
});

Deno.test("mcp --tools events --read-only offers events_list and event_get only", async () => {
  await using project = await tempProject(ENV_FILE);
  await using mcp = await startMcp({
    cwd: project.dir,
    args: ["--tools", "events", "--read-only"],
  });
  const { tools } = await mcp.client.listTools();
  assert.deepEqual(tools.map((tool) => tool.name).sort(), ["event_get", "events_list"]);
  const offered = /events_next|events_ack|events_fail|fetch/;
  const instructions = mcp.client.getInstructions() ?? "";
  assert.match(instructions, /events_list/);
  assert.doesNotMatch(instructions, offered, "no tool the session lacks");
  const { resources } = await mcp.client.listResources();
  assert.equal(resources.length, 1);
  assert.doesNotMatch(resources[0]?.description ?? "", offered);
});

Deno.test("mcp answers a malformed tool call with a clear error and keeps serving", async () => {
  await using project = await tempProject(ENV_FILE);
  await using mcp = await startMcp({ cwd: project.dir });
  const wrongType = await mcp.call("events_next", { wait_seconds: "soon" });
  assert.equal(wrongType.isError, true);
  assert.match(textOf(wrongType), /wait_seconds/);
  assert.match(textOf(wrongType), /expected number/);
  const missing = await mcp.call("fetch_url", {});
  assert.equal(missing.isError, true);
  assert.match(textOf(missing), /url/);
  const unknown = await mcp.call("delete_everything", {});
  assert.equal(unknown.isError, true);
  assert.match(textOf(unknown), /delete_everything not found/);
  assert.deepEqual(await mcp.callOk("events_list", {}), { events: [] });
  await mcp.close();
  assert.equal(await mcp.exited, 0);
  assert.deepEqual(mcp.protocolErrors(), [], "stdout carried protocol messages only");
});

Deno.test("mcp --help shows usage, options, exit codes and a client entry example", async () => {
  const result = await runCli(["mcp", "--help"]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /^hookgate mcp — /);
  assert.match(result.stdout, /Usage: hookgate mcp \[options\]/);
  assert.match(result.stdout, /--tools LIST/);
  assert.match(result.stdout, /--read-only/);
  assert.match(result.stdout, /Exit codes:/);
  assert.match(result.stdout, /Examples:\n {2}hookgate mcp\n/);
  assert.match(result.stdout, /"args": \["mcp"/);
});

Deno.test("mcp refuses an unknown tool group (exit 64) and an invalid allowlist (exit 78)", async () => {
  const unknown = await runCli(["mcp", "--tools", "fetch,shell"]);
  assert.equal(unknown.code, 64);
  assert.match(unknown.stderr, /--tools takes fetch, events/);
  assert.equal(unknown.stdout, "");
  const longLease = await runCli(["mcp", "--lease", "25h"]);
  assert.equal(longLease.code, 64);
  assert.match(longLease.stderr, /--lease must be at most 24h, got 25h/);
  const invalid = await runCli(["mcp", "--tools", "fetch"], { env: { EGRESS_ALLOW_HOSTS: "*" } });
  assert.equal(invalid.code, 78);
  assert.match(invalid.stderr, /EGRESS_ALLOW_HOSTS entry '\*' is invalid/);
  assert.equal(invalid.stdout, "", "nothing but protocol messages on stdout");
});

Deno.test("mcp started outside the project says so: an empty store made, no allowlist", async () => {
  await using dir = await tempDir("hookgate-mcp-cwd-");
  const mcp = () => runCli(["mcp"], { cwd: dir.path, stdin: "", permissions: mcpTaskFlags() });
  const first = await mcp();
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, "");
  assert.match(
    first.stderr,
    /warning: no event store was at .*\/\.hookgate\/hookgate\.db, so mcp made an empty one: .*give the MCP client that directory as its cwd/,
  );
  assert.match(
    first.stderr,
    /warning: EGRESS_ALLOW_HOSTS is not set \(no \.env in .*\?\), so fetch_url denies every host/,
  );
  // In the project (a store serve wrote, an allowlist in .env), nothing to warn about.
  await Deno.writeTextFile(`${dir.path}/.env`, "EGRESS_ALLOW_HOSTS=api.github.com\n");
  const again = await mcp();
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /warning/);
});

Deno.test("mcp starts from the client entry docs/agents.md gives for a checkout (deno task)", async () => {
  await using project = await tempProject(ENV_FILE);
  await using mcp = await startMcp({
    cwd: project.dir,
    command: {
      command: Deno.execPath(),
      args: ["task", "--quiet", "--config", `${ROOT}deno.json`, "mcp", "--tools", "fetch"],
    },
  });
  const { tools } = await mcp.client.listTools();
  assert.deepEqual(tools.map((tool) => tool.name), ["fetch_url"]);
  const docs = await Deno.readTextFile(`${ROOT}docs/agents.md`);
  assert.match(docs, /"args": \["task", "--config", "\/srv\/hookgate\/deno\.json", "mcp"\]/);
});

Deno.test("mcp stops cleanly on SIGTERM, even with a long poll in flight", async () => {
  await using project = await tempProject(ENV_FILE);
  await using mcp = await startMcp({ cwd: project.dir });
  const polling = mcp.call("events_next", { wait_seconds: 45 }).catch((error) => error);
  await new Promise((resolve) => setTimeout(resolve, 300));
  Deno.kill(mcp.pid, "SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"still running">((resolve) => {
    timer = setTimeout(() => resolve("still running"), 10_000);
  });
  assert.equal(await Promise.race([mcp.exited, deadline]), 0);
  clearTimeout(timer);
  await polling;
});

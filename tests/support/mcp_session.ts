/**
 * Starts the real `hookgate mcp` as a subprocess and talks to it with the MCP
 * SDK's own Client over stdio, the way an agent's client does. The child runs
 * under the `mcp` task's permission flags from deno.json.
 */
import type { ChildProcess } from "node:child_process";
import denoConfig from "../../deno.json" with { type: "json" };
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/client"
import { Client } from "npm:@modelcontextprotocol/sdk@1.32.2/client/index.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/client/stdio"
import { StdioClientTransport } from "npm:@modelcontextprotocol/sdk@1.32.2/client/stdio.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/types"
import type { CallToolResult } from "npm:@modelcontextprotocol/sdk@1.32.2/types.js";
import { childEnv, MAIN, ROOT } from "./cli.ts";

export type { CallToolResult };

export interface McpSession extends AsyncDisposable {
  client: Client;
  pid: number;
  /** Everything the server wrote on stderr so far. */
  stderr(): string;
  /** What the client could not read on the server's stdout (anything but protocol messages). */
  protocolErrors(): string[];
  /** Calls a tool; the result as the client received it. */
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** Calls a tool that must succeed and returns its structured content. */
  callOk(name: string, args?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Closes the client (stdin first, as clients do) and waits for the server to exit. */
  close(): Promise<void>;
  /** The server's exit code, once it has exited. */
  exited: Promise<number | null>;
}

export interface StartMcpOptions {
  /** The command and arguments a client is configured with (default: deno run <task flags> main.ts mcp ARGS). */
  command?: { command: string; args: string[] };
  /** Flags after `mcp`. */
  args?: string[];
  /** The child's variables (besides PATH, HOME, NO_COLOR, DENO_DIR). */
  env?: Record<string, string>;
  /** The project directory the server runs in (its .env and .hookgate). */
  cwd: string;
  /** Extra deno flags (e.g. `--preload` of a probe). */
  denoFlags?: string[];
}

/**
 * The `mcp` task's deno flags. Paths under lib/ are made absolute, since the
 * child runs in a scratch directory while its code stays in the checkout.
 */
export function mcpTaskFlags(): string[] {
  const line = denoConfig.tasks.mcp;
  const tokens = line.split(/\s+/);
  return tokens.slice(2, tokens.indexOf("main.ts")).map((token) =>
    token.replace(/(?<=[=,])lib\//g, `${ROOT}lib/`)
  );
}

export async function startMcp(options: StartMcpOptions): Promise<McpSession> {
  const transport = new StdioClientTransport({
    ...(options.command ?? {
      command: Deno.execPath(),
      args: [
        "run",
        "--quiet",
        `--config=${ROOT}deno.json`,
        ...mcpTaskFlags(),
        ...(options.denoFlags ?? []),
        MAIN,
        "mcp",
        ...(options.args ?? []),
      ],
    }),
    cwd: options.cwd,
    env: childEnv(options.env),
    stderr: "pipe",
  });
  const errText: string[] = [];
  transport.stderr?.on(
    "data",
    (chunk: Uint8Array) => errText.push(new TextDecoder().decode(chunk)),
  );
  const client = new Client({ name: "hookgate-test", version: "1.0.0" });
  const protocolErrors: string[] = [];
  client.onerror = (error) => protocolErrors.push(error.message);
  const { promise: exited, resolve: onExit } = Promise.withResolvers<number | null>();
  try {
    await client.connect(transport);
  } catch (error) {
    await client.close().catch(() => {});
    throw new Error(`hookgate mcp did not start: ${error}\n${errText.join("")}`);
  }
  // The transport keeps its child private; its exit code is what says the server ended cleanly.
  const child = (transport as unknown as { _process?: ChildProcess })._process;
  if (child === undefined || child.exitCode !== null) onExit(child?.exitCode ?? null);
  else child.once("exit", (code) => onExit(code));
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await client.close();
    await exited;
  };
  const call = async (name: string, args: Record<string, unknown> = {}) =>
    await client.callTool({ name, arguments: args }) as CallToolResult;
  return {
    client,
    pid: transport.pid ?? 0,
    stderr: () => errText.join(""),
    protocolErrors: () => [...protocolErrors],
    call,
    async callOk(name, args = {}) {
      const result = await call(name, args);
      if (result.isError) {
        throw new Error(`${name} failed: ${JSON.stringify(result.content)}\n${errText.join("")}`);
      }
      return result.structuredContent as Record<string, unknown>;
    },
    close,
    exited,
    [Symbol.asyncDispose]: close,
  };
}

/** The text of a tool result's content blocks, joined. */
export function textOf(result: CallToolResult): string {
  return result.content.map((block) => block.type === "text" ? block.text : "").join("\n");
}

export interface TempProject extends AsyncDisposable {
  /** A scratch project directory with the given .env (mode 0600). */
  dir: string;
}

export async function tempProject(envFile: string): Promise<TempProject> {
  const dir = await Deno.makeTempDir({ prefix: "hookgate-mcp-" });
  await Deno.writeTextFile(`${dir}/.env`, envFile, { mode: 0o600 });
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

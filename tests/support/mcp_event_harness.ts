/**
 * The event tools in this process: the SDK's Client talks to hookgate's MCP server over
 * linked in-memory transports, on the in-memory store (tests/mcp/event_tools*_test.ts).
 */
import assert from "node:assert/strict";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/client"
import { Client } from "npm:@modelcontextprotocol/sdk@1.32.2/client/index.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/inMemory"
import { InMemoryTransport } from "npm:@modelcontextprotocol/sdk@1.32.2/inMemory.js";
import { createHookgateMcpServer, serveStdio } from "../../lib/mcp/mod.ts";
import { createRedactor } from "../../lib/redact/mod.ts";
import { MemoryEventStore } from "./memory_event_store.ts";
import { type CallToolResult, textOf } from "./mcp_session.ts";

export const CANARY = "events-canary-secret-9e1d0c2b7a";

export interface Harness extends AsyncDisposable {
  store: MemoryEventStore;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  callOk(name: string, args?: Record<string, unknown>): Promise<Record<string, unknown>>;
  client: Client;
  warnings: string[];
}

export async function harness(
  options: {
    leaseMs?: number;
    maxAttempts?: number;
    readOnly?: boolean;
    store?: MemoryEventStore;
    secrets?: string[];
  } = {},
): Promise<Harness> {
  const store = options.store ?? new MemoryEventStore();
  const redactor = createRedactor({ secrets: [CANARY, ...(options.secrets ?? [])] });
  const stopping = new AbortController();
  const server = createHookgateMcpServer({
    version: "test",
    redactor,
    events: {
      store,
      leaseMs: options.leaseMs ?? 60_000,
      retryPolicy: { maxAttempts: options.maxAttempts ?? 5, retryDelayMs: () => 0 },
      readOnly: options.readOnly ?? false,
      signal: stopping.signal,
      inboxPollMs: 20,
    },
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const warnings: string[] = [];
  const serving = serveStdio(server, {
    redactor,
    warn: (line) => warnings.push(line),
    signal: stopping.signal,
    transport: serverSide,
  });
  const client = new Client({ name: "hookgate-test", version: "1.0.0" });
  await client.connect(clientSide);
  const call = async (name: string, args: Record<string, unknown> = {}) =>
    await client.callTool({ name, arguments: args }) as CallToolResult;
  return {
    store,
    client,
    warnings,
    call,
    async callOk(name, args = {}) {
      const result = await call(name, args);
      assert.notEqual(result.isError, true, `${name} failed: ${textOf(result)}`);
      return result.structuredContent as Record<string, unknown>;
    },
    async [Symbol.asyncDispose]() {
      await client.close();
      stopping.abort();
      await serving;
      await store.close();
    },
  };
}

export async function accept(store: MemoryEventStore, id: string, payload: unknown = { id }) {
  assert.equal(
    await store.accept({
      route: "webhook",
      key: `id:${id}`,
      id,
      payload: new TextEncoder().encode(JSON.stringify(payload)),
      receivedAtMs: Date.now(),
      retentionMs: 600_000,
    }),
    "accepted",
  );
}

export function eventOf(content: Record<string, unknown>): Record<string, unknown> {
  assert.ok(content.event, `no event in ${JSON.stringify(content)}`);
  return content.event as Record<string, unknown>;
}

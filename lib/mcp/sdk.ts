/**
 * The one place that names the MCP SDK and its schema library, pinned: every
 * other module imports them from here, so an upgrade is one edit (and deno.lock).
 *
 * The SDK's export map gives `server/mcp.js` the types of `server/mcp.js.d.ts`,
 * which does not exist; each `@ts-types` names the extensionless subpath,
 * which maps to the real declaration file.
 */
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/server/mcp"
export { McpServer } from "npm:@modelcontextprotocol/sdk@1.32.2/server/mcp.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/server/stdio"
export { StdioServerTransport } from "npm:@modelcontextprotocol/sdk@1.32.2/server/stdio.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/shared/transport"
export type { Transport } from "npm:@modelcontextprotocol/sdk@1.32.2/shared/transport.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/types"
export type { CallToolResult, JSONRPCMessage } from "npm:@modelcontextprotocol/sdk@1.32.2/types.js";
export { z } from "npm:zod@4.6.7";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/types"
export {
  ErrorCode,
  McpError,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "npm:@modelcontextprotocol/sdk@1.32.2/types.js";

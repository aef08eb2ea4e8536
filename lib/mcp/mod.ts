/** `hookgate mcp`: the fetch tool and the event inbox as MCP tools, over stdio. */
export {
  createHookgateMcpServer,
  type HookgateMcpOptions,
  serveStdio,
  type ServeStdioOptions,
  TOOL_GROUPS,
  type ToolGroup,
} from "./server.ts";
export { DEFAULT_WAIT_SECONDS, MAX_RUNNING_POLLS, MAX_WAIT_SECONDS } from "./event_tools.ts";
export { INBOX_URI } from "./inbox_resource.ts";
export type { PullStore, RetryPolicy } from "./pull_store.ts";

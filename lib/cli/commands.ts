/**
 * The command table: each command's one-line summary and a lazy loader, so `hookgate send`
 * never imports serve's code (nor needs the permissions that code would ask for).
 */
import type { Command } from "./command.ts";

export interface CommandEntry {
  summary: string;
  /** Loaded on use, so a command pulls in (and needs permissions for) only its own code. */
  load(): Promise<Command>;
}

export const COMMANDS: Record<string, CommandEntry> = {
  serve: {
    summary: "receive webhooks: fresh, signed, unseen, then handed to the agent",
    load: async () => (await import("./serve.ts")).serveCommand,
  },
  send: {
    summary: "sign a JSON payload and deliver it, with retries",
    load: async () => (await import("./send.ts")).sendCommand,
  },
  fetch: {
    summary: "the agent's fetch_url tool: egress only to allowlisted hosts",
    load: async () => (await import("./fetch.ts")).fetchCommand,
  },
  mcp: {
    summary: "an MCP server over stdio: fetch_url and the event inbox as tools for an agent",
    load: async () => (await import("./mcp.ts")).mcpCommand,
  },
  redact: {
    summary: "copy stdin to stdout with credentials removed",
    load: async () => (await import("./redact.ts")).redactCommand,
  },
  init: {
    summary: "create .env with strong random secrets and gitignore it",
    load: async () => (await import("./init.ts")).initCommand,
  },
  doctor: {
    summary: "check the set-up and say what to fix",
    load: async () => (await import("./doctor.ts")).doctorCommand,
  },
  rotate: {
    summary: "replace a secret in .env; the old one keeps verifying until its grace ends",
    load: async () => (await import("./rotate.ts")).rotateCommand,
  },
  events: {
    summary: "list, show, follow and redeliver received events (local store or --url)",
    load: async () => (await import("./events.ts")).eventsCommand,
  },
  token: {
    summary: "print a short-lived read or write token for serve's /events API, or revoke one",
    load: async () => (await import("./token.ts")).tokenCommand,
  },
  ui: {
    summary: "print a link that opens serve's events page in a browser, logged in",
    load: async () => (await import("./ui.ts")).uiCommand,
  },
};

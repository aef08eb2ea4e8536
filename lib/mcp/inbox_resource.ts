/**
 * The pending inbox as an MCP resource a client can read and subscribe to:
 * while someone is subscribed, the pending list is looked at every `pollMs`
 * and a `notifications/resources/updated` goes out when it changed (an event
 * arrived, was taken, or was settled), so the client need not poll events_next.
 */
import type { Redactor } from "../redact/mod.ts";
import { errorMessage, sleep } from "../util/mod.ts";
import { eventSummary } from "./event_view.ts";
import type { PullStore, StoredEvent } from "./pull_store.ts";
import {
  ErrorCode,
  McpError,
  type McpServer,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "./sdk.ts";

export const INBOX_URI = "hookgate://inbox/pending";
const DEFAULT_POLL_MS = 1_000;
const INBOX_LIMIT = 100;

export interface InboxResourceOptions {
  store: PullStore;
  redactor: Redactor;
  /** Ends the watch when the server stops. */
  signal: AbortSignal;
  /** The session may look at events but not take them (no events_next). */
  readOnly: boolean;
  warn: (line: string) => void;
  pollMs?: number;
}

export function registerInboxResource(server: McpServer, options: InboxResourceOptions): void {
  const { store, redactor } = options;
  // Summaries only: the list is read every pollMs while subscribed, and its payloads (up to
  // the body cap each) are never shown.
  const pending = () =>
    store.list({ status: "pending", limit: INBOX_LIMIT, withoutPayloads: true });
  server.registerResource("pending-inbox", INBOX_URI, {
    title: "Pending inbox",
    description: `Verified events waiting to be handled (at most ${INBOX_LIMIT}, newest ` +
      "first, without payloads). Subscribe to be told when it changes; " +
      (options.readOnly ? "event_get shows one in full." : "take events with events_next."),
    mimeType: "application/json",
  }, async (uri) => {
    const events = (await pending()).map(eventSummary);
    return {
      contents: [{
        uri: uri.href,
        mimeType: "application/json",
        text: JSON.stringify(redactor.value({ events })),
      }],
    };
  });

  let watch: AbortController | null = null;
  const checkUri = (uri: string) => {
    if (uri !== INBOX_URI) {
      throw new McpError(ErrorCode.InvalidParams, `no resource ${uri}: subscribe to ${INBOX_URI}`);
    }
  };
  server.server.setRequestHandler(SubscribeRequestSchema, (request) => {
    checkUri(request.params.uri);
    if (watch === null) {
      watch = new AbortController();
      watchInbox(server, pending, {
        ...options,
        signal: AbortSignal.any([watch.signal, options.signal]),
      });
    }
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    checkUri(request.params.uri);
    watch?.abort();
    watch = null;
    return {};
  });
}

async function watchInbox(
  server: McpServer,
  pending: () => Promise<StoredEvent[]>,
  options: InboxResourceOptions,
): Promise<void> {
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  let last: string | null = null;
  let failing = false;
  while (!options.signal.aborted) {
    try {
      const now = fingerprint(await pending());
      if (last !== null && now !== last && server.isConnected()) {
        await server.server.sendResourceUpdated({ uri: INBOX_URI });
      }
      last = now;
      failing = false;
    } catch (error) {
      // One line per outage, not one per poll.
      if (!failing) options.warn(`inbox watch: ${errorMessage(error)}`);
      failing = true;
    }
    await sleep(pollMs, options.signal);
  }
}

function fingerprint(events: StoredEvent[]): string {
  return JSON.stringify(events.map((event) => [event.route, event.key, event.attempt]));
}

/**
 * GET /events/stream: the inspection API's live feed, as Server-Sent Events.
 *
 * The store has no change feed that every backend shares, so one loop (running
 * only while a client listens) lists the events every `pollMs` and sends what
 * is new or changed since the previous look to every client at once. A client
 * first gets `ready` (sent once a first look exists), then fetches the lists
 * itself: anything that changes after that look reaches it as `changes`.
 *
 *   event: ready     data: {}
 *   event: changes   data: {"events":[<event summary as GET /events lists it>, …]}
 *   event: closing   data: {"reason":"expired"|"revoked"|"unchecked"|"shutdown"}
 *
 * A stream ends when its token expires or is revoked (checked at each look,
 * every `pollMs`, busy or not), and when serve stops: the client reconnects with its token and
 * is checked again. The token arrives in the Authorization header like every
 * other API request (the page reads the stream with fetch(), not EventSource,
 * so no token is ever put in a URL).
 */
import type { VerifiedToken } from "./bearer_token.ts";
import type { EventStatus, EventStore, StoredEvent } from "../store/mod.ts";
import { describeEvent } from "./events_api.ts";
import type { EventRefs } from "./event_refs.ts";
import { type Redactor, stringifyRedacted } from "../redact/mod.ts";

export interface EventsStreamOptions {
  store: Pick<EventStore, "list">;
  /** Summaries and errors leave only through it. */
  redactor: Redactor;
  /** The links to events whose key is redacted: the API's, which resolves them. */
  refs?: EventRefs;
  now(): number;
  isRevoked(tokenId: string): Promise<boolean>;
  /**
   * How often the store is looked at while a client listens, and each client's token checked
   * against the revocations (default 1 s).
   */
  pollMs?: number;
  /** A comment line after this long without a message (default 15 s). */
  heartbeatMs?: number;
  /** More clients than this get 503 (default 32). */
  maxClients?: number;
}

export interface EventsStream {
  /** The response to a GET /events/stream whose token the API has verified. */
  open(request: Request, token: VerifiedToken): Response;
  /** Ends every stream (serve is stopping) and stops looking at the store. */
  close(): void;
}

const STATUSES: readonly EventStatus[] = ["pending", "done", "dead"];
/**
 * The newest this many events of each status are watched, every `pollMs` while a page
 * is open: a bound on what one look reads, payloads left out.
 */
const WATCHED_PER_STATUS = 200;
/** A client this many messages behind is dropped rather than buffered without end. */
const MAX_QUEUED_MESSAGES = 256;

interface Client {
  controller: ReadableStreamDefaultController<Uint8Array>;
  token: VerifiedToken;
  lastSentMs: number;
  /** Kept apart from lastSentMs: a busy stream never idles, yet must still learn of a revocation. */
  lastCheckedMs: number;
  ready: boolean;
}

export function createEventsStream(options: EventsStreamOptions): EventsStream {
  const pollMs = options.pollMs ?? 1_000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxClients = options.maxClients ?? 32;
  const encoder = new TextEncoder();
  const clients = new Set<Client>();
  /** route+key → the fields of the event a summary shows; null until the first look. */
  let snapshot: Map<string, string> | null = null;
  let looping = false;
  let closed = false;
  let wake: () => void = () => {};

  function send(client: Client, text: string): void {
    try {
      if ((client.controller.desiredSize ?? 0) < -MAX_QUEUED_MESSAGES) throw new Error("behind");
      client.controller.enqueue(encoder.encode(text));
      client.lastSentMs = options.now();
    } catch {
      drop(client);
    }
  }

  function end(client: Client, reason: "expired" | "revoked" | "unchecked" | "shutdown"): void {
    send(client, message("closing", JSON.stringify({ reason })));
    drop(client);
  }

  function drop(client: Client): void {
    if (!clients.delete(client)) return;
    try {
      client.controller.close();
    } catch {
      // the reader went away first
    }
  }

  async function look(): Promise<void> {
    let events: StoredEvent[];
    try {
      const lists = await Promise.all(
        STATUSES.map((status) =>
          options.store.list({ status, limit: WATCHED_PER_STATUS, withoutPayloads: true })
        ),
      );
      events = lists.flat();
    } catch {
      // The store is down for a moment: keep the last look and try again.
      return;
    }
    const next = new Map<string, string>();
    const changed: unknown[] = [];
    for (const event of events) {
      const id = `${event.route}\n${event.key}`;
      // Only what a summary shows, kept in memory: only changed events are redacted and sent.
      // With when it last changed: a redelivered event that failed again between two looks is
      // back where it was (dead, attempt 1, the same error), and a page that saw it sent back to
      // pending must still learn how it ended.
      const seen = JSON.stringify([
        event.status,
        event.attempt,
        event.lastError,
        event.id,
        event.updatedAtMs ?? null,
      ]);
      next.set(id, seen);
      if (snapshot !== null && snapshot.get(id) !== seen) {
        changed.push(describeEvent(event, options.redactor, false, options.refs));
      }
    }
    snapshot = next;
    if (changed.length > 0) {
      const text = message("changes", stringifyRedacted(options.redactor, { events: changed }));
      for (const client of clients) if (client.ready) send(client, text);
    }
    for (const client of clients) {
      if (!client.ready) {
        client.ready = true;
        send(client, message("ready", "{}"));
      }
    }
  }

  async function upkeep(nowMs: number): Promise<void> {
    for (const client of [...clients]) {
      if (nowMs >= client.token.expiresAtMs) end(client, "expired");
    }
    // Every look, not every heartbeat: `token --revoke` promises the token is refused from
    // serve's next request, and a live view is a request that has not ended. One check per
    // token, all at once: a shared store that hangs holds up one look, not one per client.
    const due = [...clients].filter((client) => nowMs - client.lastCheckedMs >= pollMs);
    const tokenIds = [...new Set(due.map((client) => client.token.tokenId))];
    // A revocation list that cannot be read (the shared store is down) ends the stream, as it
    // refuses a request: the page reconnects, and is answered once the check works.
    const verdicts = new Map(
      await Promise.all(
        tokenIds.map(async (id) => [id, await options.isRevoked(id).catch(() => null)] as const),
      ),
    );
    for (const client of due) {
      client.lastCheckedMs = nowMs;
      const revoked = verdicts.get(client.token.tokenId);
      if (revoked !== false) end(client, revoked === null ? "unchecked" : "revoked");
    }
    for (const client of clients) {
      if (nowMs - client.lastSentMs >= heartbeatMs) send(client, ": ping\n\n");
    }
  }

  async function loop(): Promise<void> {
    looping = true;
    try {
      while (clients.size > 0 && !closed) {
        await look();
        await upkeep(options.now());
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pollMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      looping = false;
      // Nobody listens: the next client starts from a fresh look.
      snapshot = null;
    }
  }

  return {
    open(_request, token) {
      if (closed || clients.size >= maxClients) {
        return new Response(JSON.stringify({ error: "too many live views open, retry later" }), {
          status: 503,
          headers: { "content-type": "application/json", "retry-after": "5" },
        });
      }
      let client: Client;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          const nowMs = options.now();
          client = { controller, token, lastSentMs: nowMs, lastCheckedMs: nowMs, ready: false };
          clients.add(client);
          // The browser waits this long before it reconnects on its own (EventSource clients).
          controller.enqueue(encoder.encode("retry: 2000\n\n"));
          if (looping) wake();
          else loop().catch(() => {});
        },
        cancel() {
          clients.delete(client);
        },
      });
      return new Response(body, {
        status: 200,
        headers: {
          "content-type": "text/event-stream",
          "cache-control": "no-store",
          // Tells a proxy such as nginx not to buffer the stream.
          "x-accel-buffering": "no",
        },
      });
    },
    close() {
      closed = true;
      for (const client of [...clients]) end(client, "shutdown");
      wake();
    },
  };
}

function message(event: string, data: string): string {
  return `event: ${event}\ndata: ${data}\n\n`;
}

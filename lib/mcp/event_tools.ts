/**
 * The inbox as MCP tools: pull the next verified event under a lease, then
 * settle it (ack, or fail with the same retry policy as `serve --exec`), and
 * look events up. A lease that runs out unsettled hands the event out again.
 */
import type { Redactor } from "../redact/mod.ts";
import { errorMessage } from "../util/mod.ts";
import { LeaseBook } from "./lease_book.ts";
import { eventSummary, payloadOf } from "./event_view.ts";
import type { Lease, PullStore, RetryPolicy, SettleResult } from "./pull_store.ts";
import { type CallToolResult, type McpServer, z } from "./sdk.ts";
import { errorResult, jsonResult } from "./tool_result.ts";

export const DEFAULT_WAIT_SECONDS = 30;
/** Below the 60 s request timeout MCP clients commonly use, so a long poll ends as a result. */
export const MAX_WAIT_SECONDS = 50;
export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;
/**
 * events_next calls that wait at once; past this, a call is refused. Each asks the store
 * again every poll interval until it ends (50 s at most): a model calling it in a loop must
 * not load the store, which serve may share (Redis), with thousands of them.
 */
export const MAX_RUNNING_POLLS = 4;
const MAX_ERROR_CHARS = 2000;

export interface EventToolsOptions {
  store: PullStore;
  redactor: Redactor;
  /** How long a leased event stays invisible to other consumers. */
  leaseMs: number;
  /** `--exec`'s attempts and backoff. */
  retryPolicy: RetryPolicy;
  /** No ack/fail, and no events_next: a lease nobody can settle only delays the event. */
  readOnly: boolean;
  /** Aborts long polls when the server stops. */
  signal: AbortSignal;
  now?: () => number;
}

const route = z.string().min(1).max(256).describe("The route the event came in on, e.g. webhook.");
const key = z.string().min(1).max(512).describe(
  "The event key within the route, as events_next or events_list returned it.",
);

export function registerEventTools(server: McpServer, options: EventToolsOptions): void {
  const { store, redactor } = options;
  const now = options.now ?? Date.now;
  const book = new LeaseBook(now);
  const policy = options.retryPolicy;
  /** events_next calls waiting on the store right now. */
  let polling = 0;

  server.registerTool("events_list", {
    title: "List inbox events",
    description: "List verified events in hookgate's inbox, newest first, without their " +
      "payloads (event_get shows one in full). pending: waiting, taken or due for a retry; " +
      "done: acknowledged; dead: given up (out of attempts, or failed with retry=false).",
    inputSchema: {
      status: z.enum(["pending", "done", "dead"]).optional().describe("Only this status."),
      route: route.optional(),
      limit: z.number().int().min(1).max(MAX_LIST_LIMIT).optional().describe(
        `At most this many events (default ${DEFAULT_LIST_LIMIT}).`,
      ),
    },
    annotations: { readOnlyHint: true },
  }, async ({ status, route, limit }) => {
    const events = await explained(store.list({
      ...(status === undefined ? {} : { status }),
      ...(route === undefined ? {} : { route }),
      limit: limit ?? DEFAULT_LIST_LIMIT,
      withoutPayloads: true,
    }));
    return jsonResult(redactor, { events: events.map(eventSummary) });
  });

  /** A tool that addresses one event by its route and key. */
  const oneEventTool = (
    name: string,
    spec: { title: string; description: string; annotations: Record<string, boolean> },
    run: (route: string, key: string) => Promise<CallToolResult>,
  ) =>
    server.registerTool(
      name,
      { ...spec, inputSchema: { route, key } },
      ({ route, key }) => run(route, key),
    );

  oneEventTool("event_get", {
    title: "Show one inbox event",
    description: "Show one event of hookgate's inbox with its payload, status, attempts " +
      "and last error.",
    annotations: { readOnlyHint: true },
  }, async (route, key) => {
    const event = await explained(store.get(route, key));
    if (event === null) {
      return errorResult(redactor, `no event ${route}/${key}: list events with events_list`);
    }
    return jsonResult(redactor, { event: { ...eventSummary(event), payload: payloadOf(event) } });
  });

  if (options.readOnly) return;

  server.registerTool("events_next", {
    title: "Take the next inbox event",
    description: "Wait for the next pending verified webhook event (long poll, up to " +
      `wait_seconds) and lease it to this session for ${options.leaseMs / 1000} s. Returns ` +
      "{event: {route, key, id, attempt, received_at, payload}, lease_expires_at}, or " +
      "{event: null} when none arrived in time. Settle it before the lease ends with " +
      "events_ack (done) or events_fail (retry later or give up). An event not settled " +
      "before its lease ends counts as a failed attempt: it is handed out again, and after " +
      `${policy.maxAttempts} attempts in all becomes a dead letter; so handle events ` +
      "idempotently.",
    inputSchema: {
      route: route.optional().describe("Only events of this route."),
      wait_seconds: z.number().min(0).optional().describe(
        `How long to wait for an event (default ${DEFAULT_WAIT_SECONDS}, at most ` +
          `${MAX_WAIT_SECONDS}; 0 answers at once).`,
      ),
    },
  }, async ({ route, wait_seconds }, extra) => {
    if (polling >= MAX_RUNNING_POLLS) {
      return errorResult(
        redactor,
        `too many events_next calls at once: ${MAX_RUNNING_POLLS} may wait; call again ` +
          "when one has answered",
      );
    }
    const waitSeconds = Math.min(wait_seconds ?? DEFAULT_WAIT_SECONDS, MAX_WAIT_SECONDS);
    const deadline = now() + Math.round(waitSeconds * 1000);
    polling++;
    let lease: Lease | null;
    try {
      for (;;) {
        lease = await explained(store.lease({
          ...(route === undefined ? {} : { route }),
          leaseMs: options.leaseMs,
          waitMs: Math.max(0, deadline - now()),
          signal: AbortSignal.any([extra.signal, options.signal]),
        }));
        if (lease === null || lease.event.attempt <= policy.maxAttempts) break;
        const { route: leased, key } = lease.event;
        await explained(store.settle({ route: leased, key, leaseId: lease.leaseId }, {
          ok: false,
          error: ranOutOnLastAttempt(policy.maxAttempts),
          retry: false,
        }, policy));
      }
    } finally {
      polling--;
    }
    if (lease === null) return jsonResult(redactor, { event: null, waited_seconds: waitSeconds });
    book.remember(lease);
    return jsonResult(redactor, {
      event: { ...eventSummary(lease.event), payload: payloadOf(lease.event) },
      lease_expires_at: new Date(lease.expiresAtMs).toISOString(),
    });
  });

  oneEventTool("events_ack", {
    title: "Acknowledge an event",
    description: "Mark an event this session took with events_next as done: it is never " +
      "handed out again. Repeating it answers the same. Fails if the lease ran out first " +
      "(the event then comes again).",
    annotations: { idempotentHint: true },
  }, (route, key) => settle(route, key, { ok: true }));

  server.registerTool("events_fail", {
    title: "Report a failed event",
    description: "Report that handling an event this session took with events_next " +
      `failed. It is retried later with backoff, and after ${policy.maxAttempts} attempts ` +
      "in all becomes a dead letter; retry=false makes it dead at once (for an event that " +
      "can never succeed).",
    inputSchema: {
      route,
      key,
      error: z.string().min(1).max(MAX_ERROR_CHARS).describe(
        "What went wrong, kept as the event's last error.",
      ),
      retry: z.boolean().optional().describe("false: give up now (default true)."),
    },
  }, async ({ route, key, error, retry }) => {
    return await settle(route, key, {
      ok: false,
      error: redactor.text(error),
      ...(retry === undefined ? {} : { retry }),
    });
  });

  async function settle(
    route: string,
    key: string,
    settlement: Parameters<PullStore["settle"]>[1],
  ): Promise<CallToolResult> {
    const leaseId = book.leaseIdOf(route, key);
    if (leaseId === null && settlement.ok && book.wasAcknowledged(route, key)) {
      return jsonResult(redactor, { route, key, status: "done" });
    }
    if (leaseId === null) {
      return errorResult(
        redactor,
        `event ${route}/${key} is not leased to this session: take events with events_next ` +
          "first (a lease ends when it is settled or runs out)",
      );
    }
    const outcome = await explained(store.settle({ route, key, leaseId }, settlement, policy));
    book.forget(route, key);
    if (outcome === "lost") {
      return errorResult(
        redactor,
        `the lease on ${route}/${key} ran out before it was settled, so the event is pending ` +
          "again and will be handed out again; settle events within their lease",
      );
    }
    if (outcome === "done" && settlement.ok) book.acknowledged(route, key);
    return jsonResult(redactor, { route, key, status: statusAfter(outcome) });
  }
}

/**
 * Why an event leased past its last attempt is a dead letter: a lease that runs out unsettled
 * is a failed attempt, as an --exec timeout is, so an event the agent never settles (it
 * crashes on it, or forgets it) is not handed out for ever.
 */
function ranOutOnLastAttempt(maxAttempts: number): string {
  return `its lease ran out on its last attempt (${maxAttempts} of ${maxAttempts}) without ` +
    "events_ack or events_fail";
}

function statusAfter(outcome: Exclude<SettleResult, "lost">): string {
  return outcome === "retrying" ? "pending (retry scheduled)" : outcome;
}

/** A store failure (Redis unreachable, a busy KV file) as an error the model can act on. */
async function explained<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw new Error(
      `the event store failed (${
        errorMessage(error)
      }): try the call again; if it keeps failing, the ` +
        "store is down and the operator should check it",
    );
  }
}

/**
 * Where `hookgate events` reads from: the local store directly (the one
 * `serve` writes in this directory), or a running `serve` through its
 * inspection API (`--url`), with a short-lived token it mints from
 * HOOKGATE_TOKEN_SECRET when .env has it. Both give the same EventView (the
 * API's own description of an event), payloads already redacted.
 */
import { mintToken } from "./token.ts";
import { describeEvent } from "../api/mod.ts";
import { CliError, configError } from "./cli_error.ts";
import { TOKEN_SECRET_VAR } from "../setup/mod.ts";
import type { EventStatus, EventStore, RedeliverResult } from "../store/mod.ts";
import { ExitCode } from "./exit_codes.ts";
import { connectionRefusedHint, networkErrorMessage } from "../util/mod.ts";
import { type Redactor, truncateForPrinting } from "../redact/mod.ts";
import { printable } from "./printable.ts";

export interface EventView {
  route: string;
  key: string;
  id: string | null;
  status: EventStatus;
  attempt: number;
  receivedAt: string;
  lastError: string | null;
  payloadBytes: number;
  /** When it last changed, where the store records it. */
  updatedAt?: string;
  /** Only from `get`. */
  payload?: unknown;
}

export interface EventsSource {
  list(status: EventStatus, limit: number): Promise<EventView[]>;
  get(route: string, key: string): Promise<EventView | null>;
  redeliver(route: string, key: string): Promise<RedeliverResult>;
  close(): Promise<void>;
}

export const STATUSES: readonly EventStatus[] = ["pending", "done", "dead"];
/** A token handed in ready-made (from `hookgate token`), when .env has no token key. */
export const TOKEN_VAR = "HOOKGATE_TOKEN";
const MINTED_TTL_MS = 5 * 60_000;

export function localSource(store: EventStore, redactor: Redactor): EventsSource {
  return {
    async list(status, limit) {
      return (await store.list({ status, limit })).map((event) =>
        describeEvent(event, redactor, false)
      );
    },
    async get(route, key) {
      const event = await store.get(route, key);
      return event === null ? null : describeEvent(event, redactor, true);
    },
    redeliver: (route, key) => store.redeliver(route, key),
    close: () => store.close(),
  };
}

/**
 * The bearer token for `--url`: minted here from HOOKGATE_TOKEN_SECRET (5
 * minutes, the scope the subcommand needs), else HOOKGATE_TOKEN as given.
 */
export function remoteToken(
  env: Record<string, string>,
  scope: "read" | "write",
  nowMs: number,
): string {
  if (env[TOKEN_SECRET_VAR] !== undefined) {
    return mintToken(env, { scope, ttlMs: MINTED_TTL_MS, nowMs }).token;
  }
  const given = env[TOKEN_VAR];
  if (given !== undefined && given.trim() !== "") return given.trim();
  throw configError(
    `for --url, add the server's ${TOKEN_SECRET_VAR} to .env (events then mints a short-lived ` +
      `bearer token itself) or set ${TOKEN_VAR} to one made by 'hookgate token --scope ${scope}' ` +
      "on the server",
  );
}

export function remoteSource(
  baseUrl: URL,
  token: string,
  fetchImpl: typeof fetch = fetch,
): EventsSource {
  /** `accepted`: statuses other than 2xx that the caller reads itself (409: not redelivered). */
  const call = async (
    method: string,
    path: string,
    accepted: number[] = [],
  ): Promise<Response | null> => {
    const url = new URL(path, baseUrl);
    let response: Response;
    try {
      // A redirect is not followed: the answer must come from the server --url names (a
      // redirected redeliver would report another server's 2xx as done).
      response = await fetchImpl(url, {
        method,
        headers: { authorization: `Bearer ${token}` },
        redirect: "manual",
      });
    } catch (error) {
      const reason = networkErrorMessage(error);
      throw new CliError(
        ExitCode.unavailable,
        reason === "connection refused"
          ? connectionRefusedHint(baseUrl.origin)
          : `cannot reach ${baseUrl.origin}: ${reason}`,
      );
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new CliError(
        ExitCode.unavailable,
        `${baseUrl.origin} answered ${response.status}, a redirect${
          response.headers.has("location") ? " elsewhere" : ""
        }: give --url serve's own address (events does not follow redirects)`,
      );
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (response.status === 401 || response.status === 403) {
      const { error } = await response.json().catch(() => ({ error: "refused" }));
      throw new CliError(
        ExitCode.denied,
        `${baseUrl.origin} refused the token: ${printable(String(error))}`,
      );
    }
    if (!response.ok && !accepted.includes(response.status)) {
      const text = await response.text();
      throw new CliError(
        ExitCode.unavailable,
        // The answer is the other server's text: printed, it cannot drive the terminal.
        `${baseUrl.origin} answered ${response.status}: ${
          printable(truncateForPrinting(text, 200))
        }`,
      );
    }
    return response;
  };
  // A server that answers, but not with the inspection API's JSON, is the wrong address (or a
  // proxy's page): said as that, not reported as a crash of the CLI.
  const answer = async <T>(response: Response, valid: (value: unknown) => value is T) => {
    const value: unknown = await response.json().catch(() => undefined);
    if (valid(value)) return value;
    throw new CliError(
      ExitCode.unavailable,
      `${baseUrl.origin} answered ${response.status} with something other than the inspection ` +
        `API's JSON: give --url serve's own address`,
    );
  };
  const eventPath = (route: string, key: string) =>
    `/events/${encodeURIComponent(route)}/${encodeURIComponent(key)}`;
  return {
    async list(status, limit) {
      const response = await call("GET", `/events?status=${status}&limit=${limit}`);
      if (response === null) {
        throw new CliError(
          ExitCode.unavailable,
          `${baseUrl.origin} has no inspection API: start serve with ${TOKEN_SECRET_VAR} set`,
        );
      }
      return (await answer(response, isEventList)).events;
    },
    async get(route, key) {
      const response = await call("GET", eventPath(route, key));
      return response === null ? null : await answer(response, isEventView);
    },
    async redeliver(route, key) {
      const response = await call("POST", `${eventPath(route, key)}/redeliver`, [409]);
      await response?.body?.cancel();
      return response === null ? "unknown" : response.status === 409 ? "pending" : "redelivered";
    },
    close: () => Promise.resolve(),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isEventView(value: unknown): value is EventView {
  return isObject(value) && typeof value.route === "string" && typeof value.key === "string";
}

function isEventList(value: unknown): value is { events: EventView[] } {
  return isObject(value) && Array.isArray(value.events) && value.events.every(isEventView);
}

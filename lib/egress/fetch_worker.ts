/**
 * One HTTP request (one redirect hop) run inside a Worker whose Deno `net`
 * permission is exactly the allowlist: a bug in the code-level checks still
 * meets `Deno.errors.NotCapable` (docs/architecture.md, "Egress": the second layer).
 */

export interface HopRequest {
  url: string;
  /** Reading stops once this many body bytes are kept. */
  maxBytes: number;
  userAgent: string;
  /** GET when absent. */
  method?: string;
  /** Checked by checkFetchRequest(); lowercase names. */
  headers?: [string, string][];
  body?: string | null;
}

export type HopOutcome =
  | {
    kind: "response";
    status: number;
    /** The Location header of a redirect, as sent. */
    location: string | null;
    /** At most maxBytes. */
    body: Uint8Array<ArrayBuffer>;
    /** Bytes taken off the wire: at most maxBytes plus one chunk. */
    bytesRead: number;
    truncated: boolean;
  }
  /** Deno's permission layer refused the connection. */
  | { kind: "denied"; message: string }
  | { kind: "network"; message: string }
  | { kind: "timeout" }
  /** The sandbox could not be started (never falls back to an unsandboxed fetch). */
  | { kind: "setup"; message: string };

export interface FetchInWorkerOptions {
  /** Deno `net` descriptors (`host:port`, `*.host:port`), from `denoNetPermissions()`. */
  netPermissions: string[];
  /** Aborting terminates the worker, and with it the request. */
  signal: AbortSignal;
}

const ENTRY = new URL("./fetch_worker_entry.ts", import.meta.url);

/**
 * The variables through which Deno's fetch would send every request to a proxy. A proxy
 * resolves and connects on its own, past both the address checks and the Worker's net
 * permission, so egress ignores them: they are taken out of this process's environment
 * before the first Worker starts (the runtime reads them when a Worker makes its client).
 */
const PROXY_VARIABLES = ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"];

/** Set once the proxy variables are out: nothing in hookgate sets them again. */
let proxyCleared = false;

/** Null once no proxy variable is left in the environment, else why one could not go. */
function withoutProxyVariables(): string | null {
  if (proxyCleared) return null;
  for (const name of PROXY_VARIABLES.flatMap((upper) => [upper, upper.toLowerCase()])) {
    try {
      if (Deno.env.get(name) !== undefined) Deno.env.delete(name);
    } catch (error) {
      return `${name} cannot be taken out of the environment (${errorText(error)}): unset ` +
        "it, egress does not go through a proxy";
    }
  }
  proxyCleared = true;
  return null;
}

/** Runs one hop in a fresh Worker that may reach only `netPermissions` and nothing else. */
export function fetchInWorker(
  request: HopRequest,
  options: FetchInWorkerOptions,
): Promise<HopOutcome> {
  if (options.signal.aborted) return Promise.resolve({ kind: "timeout" });
  const proxyProblem = withoutProxyVariables();
  if (proxyProblem !== null) return Promise.resolve({ kind: "setup", message: proxyProblem });
  let worker: Worker;
  try {
    worker = new Worker(ENTRY, {
      type: "module",
      deno: {
        permissions: {
          net: options.netPermissions.length > 0 ? options.netPermissions : false,
          read: false,
          write: false,
          env: false,
          run: false,
          ffi: false,
          sys: false,
          import: false,
        },
      },
    });
  } catch (error) {
    return Promise.resolve({
      kind: "setup",
      message: `cannot start the sandboxed fetch worker (${errorText(error)}); run hookgate ` +
        `with --unstable-worker-options (deno.json's "unstable" list sets it for deno tasks)`,
    });
  }
  return new Promise((resolve) => {
    const finish = (outcome: HopOutcome) => {
      options.signal.removeEventListener("abort", onAbort);
      worker.terminate();
      resolve(outcome);
    };
    const onAbort = () => finish({ kind: "timeout" });
    options.signal.addEventListener("abort", onAbort, { once: true });
    worker.onmessage = (event: MessageEvent<HopOutcome>) => finish(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      finish({ kind: "setup", message: `the fetch worker failed: ${event.message}` });
    };
    worker.onmessageerror = () => {
      finish({ kind: "setup", message: "the fetch worker sent an unreadable message" });
    };
    worker.postMessage(request);
  });
}

/**
 * The request itself, as the worker runs it: no redirects followed, body read
 * in chunks and cut at maxBytes. Failures are values.
 */
export async function performHop(
  request: HopRequest,
  options: { fetch?: typeof fetch; signal?: AbortSignal } = {},
): Promise<HopOutcome> {
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    const headers = new Headers({ accept: "*/*" });
    for (const [name, value] of request.headers ?? []) headers.set(name, value);
    headers.set("user-agent", request.userAgent);
    response = await doFetch(request.url, {
      method: request.method ?? "GET",
      redirect: "manual",
      headers,
      ...(request.body == null ? {} : { body: request.body }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    return failureOutcome(error);
  }
  const location = response.headers.get("location");
  if (isRedirect(response.status)) {
    await response.body?.cancel().catch(() => {});
    return {
      kind: "response",
      status: response.status,
      location,
      body: new Uint8Array(0),
      bytesRead: 0,
      truncated: false,
    };
  }
  try {
    const read = await readCapped(response.body, request.maxBytes);
    return { kind: "response", status: response.status, location, ...read };
  } catch (error) {
    return failureOutcome(error);
  }
}

export function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

async function readCapped(
  stream: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<{ body: Uint8Array<ArrayBuffer>; bytesRead: number; truncated: boolean }> {
  const body = new Uint8Array(0);
  if (stream === null) return { body, bytesRead: 0, truncated: false };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let bytesRead = 0;
  let truncated = false;
  try {
    while (!truncated) {
      const { value, done } = await reader.read();
      if (done) break;
      bytesRead += value.byteLength;
      if (kept === maxBytes) {
        // The cap was reached exactly: this read only proves there was more.
        truncated = true;
        break;
      }
      const room = maxBytes - kept;
      const piece = value.byteLength > room ? value.subarray(0, room) : value;
      chunks.push(piece);
      kept += piece.byteLength;
      if (value.byteLength > room) truncated = true;
    }
  } finally {
    if (truncated) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  const out = new Uint8Array(kept);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { body: out, bytesRead, truncated };
}

function failureOutcome(error: unknown): HopOutcome {
  if (isPermissionError(error)) return { kind: "denied", message: errorText(error) };
  if (
    error instanceof DOMException && (error.name === "AbortError" || error.name === "TimeoutError")
  ) {
    return { kind: "timeout" };
  }
  return { kind: "network", message: errorText(error) };
}

/**
 * A permission refusal, thrown as such for a host name, or wrapped in the
 * TypeError's cause when Deno refuses a resolved address at connect time
 * (`--deny-net=10.0.0.0/8`, checked after DNS).
 */
function isPermissionError(error: unknown): boolean {
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return true;
  }
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Deno.errors.NotCapable || cause instanceof Deno.errors.PermissionDenied) {
    return true;
  }
  return cause instanceof Error && /\bRequires net access to "/.test(cause.message);
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}

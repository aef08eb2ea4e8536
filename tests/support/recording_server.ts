/** A loopback HTTP server for tests that records every request's headers and raw body bytes. */

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Headers;
  body: Uint8Array;
}

export interface RecordingServer extends AsyncDisposable {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * Starts on a free port. `answer` gets each request (already recorded) and
 * its 0-based index. Hold it with `await using` so it shuts down even when the test fails.
 */
export function startRecordingServer(
  answer: (request: RecordedRequest, index: number) => Response | Promise<Response>,
): RecordingServer {
  const requests: RecordedRequest[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const recorded: RecordedRequest = {
      method: req.method,
      path: new URL(req.url).pathname,
      headers: req.headers,
      body: new Uint8Array(await req.arrayBuffer()),
    };
    requests.push(recorded);
    return await answer(recorded, requests.length - 1);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/webhook`,
    requests,
    close: () => server.shutdown(),
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/**
 * A recording server that never answers while the test runs: each request waits until
 * the server is disposed, then gets `late` (so shutdown does not wait on a hung handler).
 */
export function startSilentServer(late: () => Response): RecordingServer {
  const { promise: released, resolve: release } = Promise.withResolvers<void>();
  const server = startRecordingServer(async () => {
    await released;
    return late();
  });
  const close = () => {
    release();
    return server.close();
  };
  return { ...server, close, [Symbol.asyncDispose]: close };
}

/** A loopback port with nothing listening on it (bound, read back, released). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

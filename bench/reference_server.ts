/**
 * How bench/run.ts starts a reference server: on 127.0.0.1, the port from the first
 * argument (0 = any free one), announcing `listening on URL` on stderr as serve does.
 * SIGTERM shuts it down and the process ends normally, so `--cpu-prof-dir` gets its
 * profile written (bench:profile --scenario verify-only).
 */
export function serveReference(handler: (request: Request) => Promise<Response>): void {
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: Number(Deno.args[0] ?? "0"),
    onListen: ({ port }) => console.error(`listening on http://127.0.0.1:${port}/`),
  }, handler);
  Deno.addSignalListener("SIGTERM", () => void server.shutdown());
}

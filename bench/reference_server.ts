/**
 * How bench/run.ts starts a reference server: on 127.0.0.1, the port from the first
 * argument (0 = any free one), announcing `listening on URL` on stderr as serve does.
 */
export function serveReference(handler: (request: Request) => Promise<Response>): void {
  Deno.serve({
    hostname: "127.0.0.1",
    port: Number(Deno.args[0] ?? "0"),
    onListen: ({ port }) => console.error(`listening on http://127.0.0.1:${port}/`),
  }, handler);
}

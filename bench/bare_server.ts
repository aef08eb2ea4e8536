/**
 * The reference for `deno task bench`: a bare Deno.serve that reads the body and
 * answers 200 JSON. Whatever hookgate adds is measured as a ratio to this.
 */
const port = Number(Deno.args[0] ?? "0");
const body = JSON.stringify({ status: "accepted" });

Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: ({ port }) => console.error(`listening on http://127.0.0.1:${port}/`),
}, async (request) => {
  await request.arrayBuffer();
  return new Response(body, { headers: { "content-type": "application/json" } });
});

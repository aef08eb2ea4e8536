/**
 * The reference for `deno task bench`: a bare Deno.serve that reads the body and
 * answers 200 JSON. Whatever hookgate adds is measured as a ratio to this.
 */
import { serveReference } from "./reference_server.ts";

const body = JSON.stringify({ status: "accepted" });

serveReference(async (request) => {
  await request.arrayBuffer();
  return new Response(body, { headers: { "content-type": "application/json" } });
});

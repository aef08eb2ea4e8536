/**
 * serve's in-flight count: a shutdown refuses new requests and waits for those in flight,
 * however each one ends (an answer, a rejection, a synchronous throw), or for the grace.
 */
import assert from "node:assert/strict";
import { drainable } from "../../lib/cli/serve_shutdown.ts";

const info = {
  remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 40000 },
  completed: Promise.resolve(),
} as unknown as Deno.ServeHandlerInfo<Deno.NetAddr>;
const request = () => new Request("http://127.0.0.1/webhook", { method: "POST", body: "{}" });

/** Whether `promise` settled within a few turns of the event loop. */
async function settledSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => settled = true, () => settled = true);
  await new Promise((resolve) => setTimeout(resolve, 20));
  return settled;
}

Deno.test("drainable(): drain() waits for the request in flight, and new requests get 503 meanwhile", async () => {
  const release = Promise.withResolvers<void>();
  const requests = drainable(async () => {
    await release.promise;
    return new Response("ok");
  });
  const inFlight = requests.handle(request(), info);
  const drained = requests.drain(10_000);
  assert.equal(await settledSoon(drained), false, "drained while a request is in flight");
  const late = await requests.handle(request(), info);
  assert.equal(late.status, 503);
  assert.equal(late.headers.get("connection"), "close");
  assert.deepEqual(await late.json(), { error: "shutting down, retry later" });
  release.resolve();
  assert.equal(await (await inFlight).text(), "ok");
  assert.equal(await settledSoon(drained), true);
});

Deno.test("drainable(): a handler that rejects or throws at once still leaves the count", async () => {
  let mode: "reject" | "throw" = "reject";
  const requests = drainable((): Promise<Response> => {
    if (mode === "throw") throw new Error("thrown at once");
    return Promise.reject(new Error("rejected"));
  });
  await assert.rejects(requests.handle(request(), info), /rejected/);
  mode = "throw";
  // A synchronous throw becomes the returned promise's rejection, as from an async handler.
  const thrown = requests.handle(request(), info);
  assert.ok(thrown instanceof Promise);
  await assert.rejects(thrown, /thrown at once/);
  assert.equal(await settledSoon(requests.drain(10_000)), true, "nothing is left in flight");
});

Deno.test("drainable(): drain() gives up on a request that never ends after the grace", async () => {
  const requests = drainable(() => new Promise<Response>(() => {}));
  void requests.handle(request(), info);
  const started = performance.now();
  await requests.drain(50);
  assert.ok(performance.now() - started >= 45);
});

import assert from "node:assert/strict";
import { readBody } from "../../lib/receive/mod.ts";

function streamOf(chunks: Uint8Array[], onPull?: () => void): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      onPull?.();
      const next = chunks[i++];
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

function post(body: BodyInit | null, headers: Record<string, string> = {}): Request {
  return new Request("http://x/webhook", { method: "POST", body, headers });
}

Deno.test("readBody() returns the exact bytes under the cap", async () => {
  const bytes = new Uint8Array([0xff, 0x00, 0x7b, 0x7d]);
  assert.deepEqual(await readBody(post(bytes), { maxBodyBytes: 4 }), { ok: true, value: bytes });
});

Deno.test("readBody() joins a chunked body in order", async () => {
  const request = post(streamOf([new Uint8Array([1, 2]), new Uint8Array([3])]));
  assert.deepEqual(await readBody(request, { maxBodyBytes: 10 }), {
    ok: true,
    value: new Uint8Array([1, 2, 3]),
  });
});

Deno.test("readBody() takes a small declared body whole, without making a stream of it", async () => {
  // Touching request.body makes a stream that bytes() would then read chunk by chunk: the
  // costlier path that the declared-length read exists to avoid.
  let streamed = 0;
  class Watched extends Request {
    override get body() {
      streamed++;
      return super.body;
    }
  }
  const bytes = new TextEncoder().encode('{"id":"e1"}');
  const request = new Watched("http://x/webhook", {
    method: "POST",
    body: bytes,
    headers: { "content-length": String(bytes.length) },
  });
  const result = await readBody(request, { maxBodyBytes: 1024, timeoutMs: 1000 });
  assert.deepEqual(result, { ok: true, value: bytes });
  assert.equal(streamed, 0);
});

Deno.test("readBody() reports a small declared body that cannot be read as unreadable", async () => {
  const request = post('{"id":"e1"}', { "content-length": "11" });
  await request.arrayBuffer();
  assert.deepEqual(await readBody(request, { maxBodyBytes: 1024, timeoutMs: 1000 }), {
    ok: false,
    reason: "unreadable",
  });
});

Deno.test("readBody() refuses a declared Content-Length past the cap without reading", async () => {
  let pulls = 0;
  const request = post(streamOf([new Uint8Array(5)], () => pulls++), {
    "content-length": "11",
  });
  assert.deepEqual(await readBody(request, { maxBodyBytes: 10 }), {
    ok: false,
    reason: "too-large",
  });
  assert.equal(pulls, 0);
});

Deno.test("readBody() stops a stream without Content-Length at the cap", async () => {
  let pulls = 0;
  const chunks = Array.from({ length: 100 }, () => new Uint8Array(1024));
  const request = post(streamOf(chunks, () => pulls++));
  assert.deepEqual(await readBody(request, { maxBodyBytes: 4096 }), {
    ok: false,
    reason: "too-large",
  });
  assert.ok(pulls <= 6, `read ${pulls} chunks of 1 KiB for a 4 KiB cap`);
});

Deno.test("readBody() enforces the cap when Content-Length understates the body", async () => {
  const request = post(streamOf([new Uint8Array(8), new Uint8Array(8)]), {
    "content-length": "4",
  });
  assert.deepEqual(await readBody(request, { maxBodyBytes: 10 }), {
    ok: false,
    reason: "too-large",
  });
});

Deno.test("readBody() accepts a body of exactly the cap", async () => {
  const result = await readBody(post(new Uint8Array(10)), { maxBodyBytes: 10 });
  assert.equal(result.ok && result.value.length, 10);
});

Deno.test("readBody() reports a broken stream as unreadable", async () => {
  const request = post(
    new ReadableStream({
      pull(controller) {
        controller.error(new Error("connection reset"));
      },
    }),
  );
  assert.deepEqual(await readBody(request, { maxBodyBytes: 10 }), {
    ok: false,
    reason: "unreadable",
  });
});

Deno.test("readBody() returns no bytes for a request without a body", async () => {
  assert.deepEqual(await readBody(post(null), { maxBodyBytes: 10 }), {
    ok: true,
    value: new Uint8Array(0),
  });
});

Deno.test("readBody() cuts off a body that stalls longer than the timeout", async () => {
  let pulls = 0;
  const request = post(
    new ReadableStream({
      pull(controller) {
        // The first chunk arrives, then the sender goes quiet.
        if (pulls++ === 0) controller.enqueue(new Uint8Array([0x7b]));
        else return new Promise(() => {});
      },
    }),
  );
  assert.deepEqual(await readBody(request, { maxBodyBytes: 10, timeoutMs: 20 }), {
    ok: false,
    reason: "timeout",
  });
});

Deno.test("readBody() cuts off a body that keeps trickling past the total timeout", async () => {
  const request = post(
    new ReadableStream({
      async pull(controller) {
        // One byte every 10 ms, forever: each byte is well within any per-chunk timer.
        await new Promise((r) => setTimeout(r, 10));
        controller.enqueue(new Uint8Array([0x20]));
      },
    }),
  );
  assert.deepEqual(await readBody(request, { maxBodyBytes: 1_000_000, timeoutMs: 100 }), {
    ok: false,
    reason: "timeout",
  });
});

Deno.test("readBody() waits for a slow body that completes within the timeout", async () => {
  let pulls = 0;
  const request = post(
    new ReadableStream({
      async pull(controller) {
        await new Promise((r) => setTimeout(r, 10));
        if (pulls++ < 4) controller.enqueue(new Uint8Array([0x20]));
        else controller.close();
      },
    }),
  );
  const result = await readBody(request, { maxBodyBytes: 10, timeoutMs: 200 });
  assert.equal(result.ok && result.value.length, 4);
});

Deno.test("readBody() cuts off a small declared body that stalls (read in one call)", async () => {
  const request = post(
    new ReadableStream({
      pull(controller) {
        controller.enqueue(new Uint8Array([0x7b]));
        return new Promise(() => {});
      },
    }),
    { "content-length": "5" },
  );
  assert.deepEqual(await readBody(request, { maxBodyBytes: 10, timeoutMs: 20 }), {
    ok: false,
    reason: "timeout",
  });
});

Deno.test("readBody() reads a small declared body in one call and returns its exact bytes", async () => {
  const request = post(streamOf([new Uint8Array([1, 2]), new Uint8Array([3])]), {
    "content-length": "3",
  });
  assert.deepEqual(await readBody(request, { maxBodyBytes: 10, timeoutMs: 1000 }), {
    ok: true,
    value: new Uint8Array([1, 2, 3]),
  });
});

import { fail, ok, type Result } from "./result.ts";

export type ReadBodyFailure = "too-large" | "unreadable" | "timeout";

export interface ReadBodyOptions {
  maxBodyBytes: number;
  /** A sender that stops sending for this long is cut off ("timeout"), so it cannot hold a request open forever. */
  idleTimeoutMs?: number;
}

/**
 * Reads a request body as raw bytes, never more than `maxBodyBytes`: a
 * declared Content-Length past the cap is refused before reading, and the
 * stream is cut off at the cap whatever the header claims (missing, wrong, or
 * chunked), so a liar cannot make the server buffer more.
 */
export async function readBody(
  request: Request,
  options: ReadBodyOptions,
): Promise<Result<Uint8Array, ReadBodyFailure>> {
  const declared = request.headers.get("content-length");
  if (declared !== null && /^[0-9]+$/.test(declared) && Number(declared) > options.maxBodyBytes) {
    await request.body?.cancel().catch(() => {});
    return fail("too-large");
  }
  if (request.body === null) return ok(new Uint8Array(0));
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      const next = await readWithin(reader, options.idleTimeoutMs);
      if (next === "timeout") {
        await reader.cancel().catch(() => {});
        return fail("timeout");
      }
      const { value, done } = next;
      if (done) break;
      total += value.byteLength;
      if (total > options.maxBodyBytes) {
        await reader.cancel().catch(() => {});
        return fail("too-large");
      }
      chunks.push(value);
    }
  } catch {
    return fail("unreadable");
  }
  if (chunks.length === 1) return ok(chunks[0] as Uint8Array);
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return ok(body);
}

async function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  timeoutMs: number | undefined,
): Promise<ReadableStreamReadResult<Uint8Array> | "timeout"> {
  if (timeoutMs === undefined) return await reader.read();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      reader.read(),
      new Promise<"timeout">((resolve) => timer = setTimeout(() => resolve("timeout"), timeoutMs)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reading a request body within a byte cap and one total deadline, whatever the pace of its
 * bytes, so neither a large nor a trickling body can hold a request open.
 */
import { TIMED_OUT, within } from "./deadline.ts";
import { fail, ok, type Result } from "../util/mod.ts";

export type ReadBodyFailure = "too-large" | "unreadable" | "timeout";

export interface ReadBodyOptions {
  maxBodyBytes: number;
  /**
   * The whole body must arrive within this long, counted once from the call ("timeout"),
   * whatever the pace of its bytes: a sender that trickles cannot hold a request open.
   */
  timeoutMs?: number;
}

/**
 * Bodies declared this small are read in one `request.bytes()` call rather than
 * chunk by chunk: a stream reader per chunk cost about a tenth of a small request's
 * time under load (profiled on the forged-request flood).
 */
const ONE_READ_MAX_BYTES = 64 * 1024;
const DIGITS = /^[0-9]+$/;

/**
 * Reads a request body as raw bytes, never more than `maxBodyBytes`: a
 * declared Content-Length past the cap is refused before reading, and the
 * stream is cut off at the cap whatever the header claims (missing, wrong, or
 * chunked), so a liar cannot make the server buffer more.
 *
 * A small declared body is read in one call: Deno's HTTP server frames a body
 * by its Content-Length (what follows is the next request), so that read cannot
 * outgrow the declared size; the length is checked afterwards all the same.
 * Either way one deadline bounds the whole read.
 */
export function readBody(
  request: Request,
  options: ReadBodyOptions,
): Promise<Result<Uint8Array, ReadBodyFailure>> {
  const header = request.headers.get("content-length");
  const declared = header !== null && DIGITS.test(header) ? Number(header) : null;
  // Touching request.body makes a stream, and bytes() then reads through it instead of
  // taking the whole buffered body at once: the one-read path never touches it. Nor does
  // it take an async function's frame of its own: it runs on every request.
  if (declared !== null && declared <= ONE_READ_MAX_BYTES && declared <= options.maxBodyBytes) {
    const reading = readAtOnce(request, options.maxBodyBytes);
    if (options.timeoutMs === undefined) return reading;
    // Cancelling a body that bytes() is reading is refused; the read fails with the connection.
    return within(reading, options.timeoutMs, TIMED_OUT_BODY);
  }
  return readStreamed(request, declared, options);
}

/** The failures every reader answers with, made once. */
const TIMED_OUT_BODY: Result<Uint8Array, ReadBodyFailure> = Object.freeze(
  fail<ReadBodyFailure>("timeout"),
);
const UNREADABLE_BODY: Result<Uint8Array, ReadBodyFailure> = Object.freeze(
  fail<ReadBodyFailure>("unreadable"),
);
const unreadable = () => UNREADABLE_BODY;

/** A body declared too large, not declared, or larger than one read: chunk by chunk. */
async function readStreamed(
  request: Request,
  declared: number | null,
  options: ReadBodyOptions,
): Promise<Result<Uint8Array, ReadBodyFailure>> {
  if (declared !== null && declared > options.maxBodyBytes) {
    await request.body?.cancel().catch(() => {});
    return fail("too-large");
  }
  if (request.body === null) return ok(new Uint8Array(0));
  const reader = request.body.getReader();
  const reading = readChunks(reader, options.maxBodyBytes);
  if (options.timeoutMs === undefined) return await reading;
  const result = await within(reading, options.timeoutMs);
  if (result !== TIMED_OUT) return result;
  await reader.cancel().catch(() => {});
  return TIMED_OUT_BODY;
}

async function readChunks(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBodyBytes: number,
): Promise<Result<Uint8Array, ReadBodyFailure>> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBodyBytes) {
        await reader.cancel().catch(() => {});
        return fail("too-large");
      }
      chunks.push(value);
    }
  } catch {
    return UNREADABLE_BODY;
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

/** A plain chain, not an async function: small bodies, so nearly every request, come through here. */
function readAtOnce(
  request: Request,
  maxBodyBytes: number,
): Promise<Result<Uint8Array, ReadBodyFailure>> {
  let reading: Promise<Uint8Array>;
  try {
    reading = request.bytes();
  } catch {
    return Promise.resolve(UNREADABLE_BODY);
  }
  return reading.then(
    (bytes) => bytes.length > maxBodyBytes ? fail("too-large") : ok(bytes),
    unreadable,
  );
}

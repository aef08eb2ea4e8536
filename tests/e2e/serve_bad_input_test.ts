/**
 * Bad input never yields a 5xx, a crash or a hang: every case below goes over
 * a raw TCP connection to the real `hookgate serve` (so headers can carry any
 * bytes) and must get its exact status.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { startServe } from "../support/serve_process.ts";
import { tempDir } from "../support/temp_dir.ts";

const SECRET = "bad-input-secret-" + crypto.randomUUID();
const encoder = new TextEncoder();

function mac(ts: string | Uint8Array, body: Uint8Array): string {
  return createHmac("sha256", SECRET).update(ts).update(".").update(body).digest("hex");
}

interface Case {
  name: string;
  method?: string;
  path?: string;
  /** Raw header lines (may hold any bytes). */
  headers: (string | Uint8Array)[];
  body?: Uint8Array;
  /** Omit Content-Length and send the body chunked. */
  chunked?: boolean;
  status: number;
  error?: string;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

async function rawRequest(
  port: number,
  c: Case,
): Promise<{ status: number; head: string; body: string }> {
  const body = c.body ?? new Uint8Array(0);
  const lines: Uint8Array[] = [
    encoder.encode(`${c.method ?? "POST"} ${c.path ?? "/webhook"} HTTP/1.1\r\nhost: 127.0.0.1\r\n`),
    encoder.encode("connection: close\r\n"),
    encoder.encode(
      c.chunked ? "transfer-encoding: chunked\r\n" : `content-length: ${body.length}\r\n`,
    ),
    ...c.headers.map((h) =>
      concat([typeof h === "string" ? encoder.encode(h) : h, encoder.encode("\r\n")])
    ),
    encoder.encode("\r\n"),
  ];
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const payload = c.chunked
      ? concat([
        encoder.encode(`${body.length.toString(16)}\r\n`),
        body,
        encoder.encode("\r\n0\r\n\r\n"),
      ])
      : body;
    // The server may answer (413) and close before the whole body is sent: that is fine.
    const writing = (async () => {
      const writer = conn.writable.getWriter();
      await writer.write(concat([...lines, payload]));
      writer.releaseLock();
    })().catch(() => {});
    // After an answer to an unfinished body the server drops the connection; the client
    // may see that as a reset once it has read the answer.
    const chunks: Uint8Array[] = [];
    const buffer = new Uint8Array(65_536);
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        chunks.push(buffer.slice(0, n));
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.ConnectionReset)) throw error;
    }
    await writing;
    const text = new TextDecoder().decode(concat(chunks));
    const [head = "", rest = ""] = text.split("\r\n\r\n", 2);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? "0");
    return {
      status,
      head,
      body: /\r\ntransfer-encoding: chunked/i.test(head) ? dechunk(rest) : rest,
    };
  } finally {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

/** The data of a chunked body; an answer whose connection was dropped has no final chunk. */
function dechunk(raw: string): string {
  let out = "";
  let rest = raw;
  while (true) {
    const lineEnd = rest.indexOf("\r\n");
    if (lineEnd === -1) return out;
    const size = parseInt(rest.slice(0, lineEnd), 16);
    if (!(size > 0)) return out;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 4 + size);
  }
}

function signedCase(
  name: string,
  body: Uint8Array | string,
  status: number,
  error?: string,
): Case {
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  const ts = String(Math.floor(Date.now() / 1000));
  return {
    name,
    headers: [`x-timestamp: ${ts}`, `x-signature: ${mac(ts, bytes)}`],
    body: bytes,
    status,
    ...(error ? { error } : {}),
  };
}

function timestampCase(name: string, ts: string | Uint8Array): Case {
  const body = encoder.encode('{"id":"ts-case"}');
  const tsBytes = typeof ts === "string" ? encoder.encode(ts) : ts;
  return {
    name: `timestamp ${name}`,
    headers: [
      concat([encoder.encode("x-timestamp: "), tsBytes]),
      `x-signature: ${mac(tsBytes, body)}`,
    ],
    body,
    status: 401,
  };
}

function signatureCase(name: string, signatureLines: string[]): Case {
  const ts = String(Math.floor(Date.now() / 1000));
  return {
    name: `signature ${name}`,
    headers: [`x-timestamp: ${ts}`, ...signatureLines],
    body: encoder.encode('{"id":"sig-case"}'),
    status: 401,
    error: "bad signature",
  };
}

function cases(): Case[] {
  const now = String(Math.floor(Date.now() / 1000));
  const body = encoder.encode('{"id":"sig-case"}');
  const good = mac(now, body);
  const deepObject = '{"a":'.repeat(10_000) + "1" + "}".repeat(10_000);
  const deepArray = "[".repeat(10_000) + "]".repeat(10_000);
  return [
    {
      name: "timestamp missing",
      headers: [`x-signature: ${good}`],
      body,
      status: 401,
      error: "missing/invalid timestamp",
    },
    timestampCase("empty", ""),
    timestampCase("+123", `+${now}`),
    timestampCase("leading space", ` ${now}`),
    timestampCase("trailing space", `${now} `),
    timestampCase("leading zero", `0${now}`),
    timestampCase("1e3", "1e3"),
    timestampCase("12.5", `${now}.5`),
    timestampCase("-5", "-5"),
    timestampCase("30 digits", "1".repeat(30)),
    timestampCase("non-ASCII digits", "١٧٠٠٠٠٠٠٠٠"),
    timestampCase("stale", String(Number(now) - 330)),
    timestampCase("future", String(Number(now) + 330)),
    signatureCase("missing", []),
    signatureCase("uppercase hex", [`x-signature: ${good.toUpperCase()}`]),
    signatureCase("63 chars", [`x-signature: ${good.slice(0, 63)}`]),
    signatureCase("65 chars", [`x-signature: ${good}0`]),
    signatureCase("non-hex", [`x-signature: ${"z".repeat(64)}`]),
    signatureCase("sha256= prefix", [`x-signature: sha256=${good}`]),
    signatureCase("two values in one header", [`x-signature: ${good}, ${good}`]),
    signatureCase("two headers", [`x-signature: ${good}`, `x-signature: ${good}`]),
    signatureCase("whitespace inside", [`x-signature: ${good.slice(0, 32)} ${good.slice(32)}`]),
    signedCase("body empty", "", 400, "payload must be a JSON object"),
    signedCase("body invalid UTF-8", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), 400),
    signedCase("body not JSON", "id=e1&event=push", 400),
    signedCase("body JSON array", '[{"id":"e1"}]', 400),
    signedCase("body JSON string", '"e1"', 400),
    signedCase("body JSON number", "42", 400),
    signedCase("body JSON null", "null", 400),
    signedCase("body 10 000-deep array", deepArray, 400),
    signedCase("body 10 000-deep object (valid, id-less)", deepObject, 200),
    {
      ...signedCase("body 10 MB with Content-Length", new Uint8Array(10_000_000), 413),
      error: "payload too large",
    },
    {
      ...signedCase("body 2 MB chunked, no Content-Length", new Uint8Array(2_000_000), 413),
      chunked: true,
    },
    signedCase("id empty string", '{"id":""}', 400),
    signedCase("id 300 bytes", JSON.stringify({ id: "x".repeat(300) }), 400),
    signedCase("id object", '{"id":{"n":1}}', 400),
    signedCase("id float", '{"id":1.5}', 400),
    signedCase("id boolean", '{"id":true}', 400),
    ...["GET", "PUT", "DELETE", "PATCH", "OPTIONS"].map((method) => ({
      name: `method ${method} /webhook`,
      method,
      headers: [],
      status: 405,
    })),
    { name: "POST /elsewhere", path: "/elsewhere", headers: [], status: 404 },
    { name: "GET /", method: "GET", path: "/", headers: [], status: 404 },
  ];
}

Deno.test("serve answers every bad input with its exact 4xx, and keeps serving", async (t) => {
  await using dir = await tempDir("hookgate-bad-");
  const server = await startServe({
    env: { WEBHOOK_SECRET: SECRET },
    args: ["--data-dir", `${dir.path}/data`],
  });
  try {
    const port = Number(new URL(server.url).port);
    for (const c of cases()) {
      await t.step(`${c.name} → ${c.status}`, async () => {
        const response = await rawRequest(port, c);
        assert.equal(response.status, c.status, `${response.head}\n${response.body}`);
        if (c.error) assert.equal(response.body, JSON.stringify({ error: c.error }));
        if (c.status === 405) assert.match(response.head, /\r\nallow: POST\r\n/i);
      });
    }
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
  } finally {
    assert.equal(await server.stop(), 0);
  }
  assert.doesNotMatch(server.stderr(), /internal error|panic|Uncaught/);
});

/**
 * How bench/run.ts starts a reference server: on 127.0.0.1, the port from the first
 * argument (0 = any free one), announcing `listening on URL` on stderr as serve does.
 * SIGTERM shuts it down and the process ends normally, so `--cpu-prof-dir` gets its
 * profile written (bench:profile --scenario verify-only).
 */
import { fromHex, importHmacKey, prefixedBytes, utf8 } from "../lib/util/mod.ts";

export function serveReference(handler: (request: Request) => Promise<Response>): void {
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: Number(Deno.args[0] ?? "0"),
    onListen: ({ port }) => console.error(`listening on http://127.0.0.1:${port}/`),
  }, handler);
  Deno.addSignalListener("SIGTERM", () => void server.shutdown());
}

/** Whether `signature` is the HMAC-SHA256 of `signed`; the key was imported once. */
export type Verifier = (signature: Uint8Array, signed: Uint8Array) => boolean | Promise<boolean>;

/** How a reference verifies: `webcrypto` (crypto.subtle.verify) or `hookgate` (lib/util/hmac.ts). */
export type ReferenceHmac = "webcrypto" | "hookgate";

export async function referenceVerifier(secret: string, hmac: ReferenceHmac): Promise<Verifier> {
  if (hmac === "hookgate") {
    const key = importHmacKey(utf8(secret));
    return (signature, signed) => key.verify(signature, signed);
  }
  const key = await crypto.subtle.importKey(
    "raw",
    utf8(secret) as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  return (signature, signed) =>
    crypto.subtle.verify(
      "HMAC",
      key,
      signature as Uint8Array<ArrayBuffer>,
      signed as Uint8Array<ArrayBuffer>,
    );
}

/** REFERENCE_HMAC from the environment (bench/scenarios.ts sets it), `webcrypto` by default. */
export function referenceHmacFromEnv(fallback: ReferenceHmac = "webcrypto"): ReferenceHmac {
  const chosen = Deno.env.get("REFERENCE_HMAC") ?? fallback;
  if (chosen !== "webcrypto" && chosen !== "hookgate") {
    throw new Error(`REFERENCE_HMAC must be webcrypto or hookgate, not '${chosen}'`);
  }
  return chosen;
}

/**
 * The one step no safe receiver can skip, as the references take it: an HMAC-SHA256 verify
 * of `timestamp.body`. The body, or null when the signature does not match.
 */
export async function verifiedBody(request: Request, verify: Verifier): Promise<Uint8Array | null> {
  const signature = fromHex(request.headers.get("x-signature") ?? "");
  const body = await request.bytes();
  const signed = prefixedBytes(`${request.headers.get("x-timestamp") ?? ""}.`, body);
  return signature !== null && await verify(signature, signed) ? body : null;
}

/** Strict, canonical encoders and decoders: anything non-canonical decodes to null. */

/** Lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  return bytes.toHex();
}

const LOWERCASE_HEX = /^(?:[0-9a-f]{2})*$/;

/**
 * Lowercase hex only (the canonical form); anything else is null. A signature header is
 * decoded on every request: the runtime's decoder, once the expression has checked the form.
 */
export function fromHex(text: string): Uint8Array | null {
  return LOWERCASE_HEX.test(text) ? Uint8Array.fromHex(text) : null;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Standard base64 with padding; a non-canonical encoding (stray bits, no padding) is null. */
export function fromBase64(text: string): Uint8Array | null {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return null;
  const binary = atob(text);
  const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  return toBase64(bytes) === text ? bytes : null;
}

export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * The bytes of `prefix` (a signature scheme's `timestamp.` or `id.timestamp.`) followed by
 * `body`, in one buffer: what the MAC covers. Built on every request, so an ASCII prefix
 * (the usual one) is copied in directly, without an encoder call and a buffer of its own.
 */
export function prefixedBytes(prefix: string, body: Uint8Array): Uint8Array {
  for (let i = 0; i < prefix.length; i++) {
    if (prefix.charCodeAt(i) > 0x7f) return concatBytes(utf8(prefix), body);
  }
  const out = new Uint8Array(prefix.length + body.length);
  for (let i = 0; i < prefix.length; i++) out[i] = prefix.charCodeAt(i);
  out.set(body, prefix.length);
  return out;
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true });
/** Bodies up to this long are checked for plain ASCII before the decoder is called. */
const ASCII_SCAN_MAX_BYTES = 4096;

/**
 * Strict UTF-8 to text: invalid UTF-8 throws, a leading BOM is dropped (TextDecoder's
 * rules). A short all-ASCII body, the usual webhook payload, is read without the
 * decoder's call into the runtime: every accepted or replayed delivery is decoded.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  if (bytes.length <= ASCII_SCAN_MAX_BYTES) {
    let i = 0;
    while (i < bytes.length && (bytes[i] as number) < 0x80) i++;
    if (i === bytes.length) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  return strictDecoder.decode(bytes);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

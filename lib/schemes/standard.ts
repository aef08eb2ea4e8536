/**
 * Standard Webhooks (and Svix, its origin): `webhook-*` or `svix-*` headers, a `whsec_`
 * base64 secret, several signatures per delivery so a rotation needs no downtime.
 */
import { fail, fromBase64, hmacSha256, ok, prefixedBytes, toBase64 } from "../util/mod.ts";
import { MIN_SECRET_BYTES } from "../setup/mod.ts";
import { parseTimestampSeconds, type Scheme } from "./scheme.ts";

/** A well-formed signature list: `version,value` entries separated by single spaces. */
const SIGNATURE_LIST = /^[a-z0-9]+,[^ ,]+(?: [a-z0-9]+,[^ ,]+)*$/;
/** Candidates past this many are ignored: a huge header cannot buy many HMACs per request. */
const MAX_SIGNATURES = 10;
const MAC_BYTES = 32;

/**
 * Reads one of the three headers under both of its names. Svix sends `svix-*`,
 * Standard Webhooks `webhook-*`; both at once must agree, or nobody can say
 * which message was signed.
 */
function header(headers: Headers, name: string): { value: string | null; conflict: boolean } {
  const standard = headers.get(`webhook-${name}`);
  const svix = headers.get(`svix-${name}`);
  return {
    value: standard ?? svix,
    conflict: standard !== null && svix !== null && standard !== svix,
  };
}

/**
 * Only `v1` entries of canonical base64 for exactly 32 bytes are candidates;
 * other versions (`v1a`, asymmetric) are skipped. A list that breaks the grammar
 * (empty entry, double space, an entry with zero or several commas) verifies nothing.
 */
function parseSignatureList(raw: string | null): Uint8Array[] {
  if (raw === null || !SIGNATURE_LIST.test(raw)) return [];
  const signatures: Uint8Array[] = [];
  for (const entry of raw.split(" ")) {
    const [version, value] = entry.split(",") as [string, string];
    if (version !== "v1") continue;
    const bytes = fromBase64(value);
    if (bytes !== null && bytes.length === MAC_BYTES) signatures.push(bytes);
    if (signatures.length === MAX_SIGNATURES) break;
  }
  return signatures;
}

/**
 * Standard Webhooks (and Svix): `webhook-id`, `webhook-timestamp`,
 * `webhook-signature: v1,<base64> …` over `${id}.${ts}.` + body, keyed by the
 * base64 after `whsec_`. The `svix-*` names are read too; if both sets are sent
 * and any pair disagrees, the delivery fails as "bad signature".
 */
export const standardScheme: Scheme = {
  name: "standard",
  timestamped: true,
  secretBytes(secret) {
    const bytes = fromBase64(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret);
    if (bytes === null) {
      return fail("must be 'whsec_' followed by base64: copy it exactly as the provider shows it");
    }
    if (bytes.length < MIN_SECRET_BYTES) {
      return fail(`decodes to fewer than ${MIN_SECRET_BYTES} bytes: use a longer secret`);
    }
    return ok(bytes);
  },
  parse(headers, body) {
    const id = header(headers, "id");
    const timestamp = header(headers, "timestamp");
    const signature = header(headers, "signature");
    if (id.conflict || timestamp.conflict || signature.conflict) return fail("bad signature");
    const timestampSeconds = parseTimestampSeconds(timestamp.value);
    if (timestampSeconds === null) return fail("missing/invalid timestamp");
    // Without an id there is no signed content to check: nothing can verify.
    const signatures = id.value ? parseSignatureList(signature.value) : [];
    return ok({
      timestampSeconds,
      headerId: id.value || null,
      signatures,
      signedContent: prefixedBytes(`${id.value ?? ""}.${timestampSeconds}.`, body),
    });
  },
  sign(body, { keys, timestampSeconds, id }) {
    if (keys.length === 0) throw new Error("standard scheme: no signing key");
    if (id === "") throw new Error("standard scheme: an id is required");
    const content = prefixedBytes(`${id}.${timestampSeconds}.`, body);
    const signatures: string[] = [];
    for (const key of keys) signatures.push(`v1,${toBase64(hmacSha256(key, content))}`);
    return {
      "webhook-id": id,
      "webhook-timestamp": String(timestampSeconds),
      "webhook-signature": signatures.join(" "),
    };
  },
};

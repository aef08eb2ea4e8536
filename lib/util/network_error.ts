/**
 * A failed fetch() as a person reads it. Deno's fetch throws `TypeError:
 * fetch failed` and keeps the reason in `cause` ("…tcp connect error:
 * Connection refused (os error 111)"): the cause chain is searched for it.
 */
/**
 * What an https:// URL for a plain-http server fails with. Asking again cannot change it,
 * so a sender stops at it rather than retrying.
 */
export const PLAIN_HTTP_ANSWER =
  "the server answered in plain HTTP, not TLS: use an http:// URL for it";

export function networkErrorMessage(error: unknown): string {
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    messages.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  if (messages.some((message) => /connection refused/i.test(message))) return "connection refused";
  // rustls meeting a plain HTTP answer where a TLS record was due: an https:// URL for an
  // http:// server, such as a local `hookgate serve`.
  if (messages.some((message) => /corrupt message of type InvalidContentType/i.test(message))) {
    return PLAIN_HTTP_ANSWER;
  }
  const deepest = messages.at(-1) ?? "unknown error";
  // "error sending request for url (http://…): client error (Connect): dns error: …" → "dns error: …"
  return deepest.replace(/^error sending request for url \([^)]*\): /, "")
    .replace(/^client error \([A-Za-z]+\): /, "");
}

/** The hint every command gives when nothing listens at `origin`. */
export function connectionRefusedHint(origin: string): string {
  return `connection refused — is the receiver running at ${origin}?`;
}

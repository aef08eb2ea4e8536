/** Requests signed the way a sender of hookgate's own scheme signs them. */
import { createHmac } from "node:crypto";

/**
 * The headers of a JSON body signed with `secret`: x-timestamp (Unix seconds,
 * now unless given) and x-signature, the hex HMAC-SHA256 of "<timestamp>.<body>".
 */
export function signedHeaders(
  body: string,
  secret: string,
  ts: number = Math.floor(Date.now() / 1000),
): Record<string, string> {
  return {
    "content-type": "application/json",
    "x-timestamp": String(ts),
    "x-signature": createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex"),
  };
}

/** POSTs `body` to `serverUrl`/webhook, signed with `secret`. */
export function postSigned(
  serverUrl: string,
  body: string,
  secret: string,
  init: RequestInit = {},
): Promise<Response> {
  return fetch(`${serverUrl}/webhook`, {
    ...init,
    method: "POST",
    body,
    headers: signedHeaders(body, secret),
  });
}

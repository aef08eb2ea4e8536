/**
 * Text that looks like a credential but is not one (SHAs, UUIDs, `max_tokens`, public keys …):
 * the redactor must leave it as it is, or every log would be unreadable.
 */
export const MUST_SURVIVE: { name: string; input: string }[] = [
  { name: "a git SHA", input: "commit 3f786850e387550fdab836ed7e6dc881de23001b (HEAD -> main)" },
  { name: "a short SHA", input: "fixed in 3f78685, reverted in a1b2c3d" },
  { name: "a UUID", input: `{"request_id":"123e4567-e89b-12d3-a456-426614174000"}` },
  {
    name: "max_tokens",
    input: `{"model":"claude","max_tokens":1024,"maxTokens":512} max_tokens=64`,
  },
  {
    name: "token_count and token_type",
    input: "token_count: 42, token_type=bearer, input_tokens=7",
  },
  { name: "client_id", input: "client_id=app-1234567890abcdef&response_type=code" },
  {
    name: "public_key",
    input:
      `{"public_key":"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"}`,
  },
  { name: "desk-top", input: "moved the desk-top icons" },
  {
    name: "sk- inside words",
    input: "task-1234567890abcdef risk-2024-assessment disk-0123456789 desk-9876543210",
  },
  {
    name: "the word token in prose",
    input: "Each token costs money; the token is counted. Use a bearer token.",
  },
  {
    name: "a sha256 image digest",
    input:
      "docker.io/library/alpine@sha256:c5b1261d6d3e43071626931fc004f70149baeba2c8ec672bd4f27761f8e1ad6b",
  },
  {
    name: "an npm integrity hash",
    input: "integrity sha512-Y2FmZWJhYmUxMjM0NTY3ODkwYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo=",
  },
  { name: "a Stripe publishable key", input: "pk_live_51Hxxx0123456789abcdefghij" },
  {
    name: "a URL with a port but no userinfo",
    input: "https://example.com:8443/path?page=2&sort=desc#top",
  },
  {
    name: "an event key",
    input: `{"key":"webhook:e42","event_key":"webhook:e43"} HOOKGATE_EVENT_KEY=webhook:e44`,
  },
  { name: "a timestamp", input: "2026-11-30T18:00:00.000Z 18:00:00 x-timestamp: 1764525600" },
  {
    name: "a signature header",
    input: "x-signature: 757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
  },
  {
    name: "names of secrets, not their values",
    input: "secret_name: prod-db password_length=12 WEBHOOK_SECRET is not set",
  },
  {
    name: "a public key and a certificate",
    input:
      "-----BEGIN PUBLIC KEY-----\nMFkwEwYH\n-----END PUBLIC KEY-----\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
  },
  {
    name: "a variable name closed by a quote, then a reason",
    input: "HOOKGATE_ROUTES '/github=github:GITHUB_WEBHOOK_SECRET': unknown scheme",
  },
  {
    name: "keys that only look like secret words",
    input: "monkey: banana, keyboard=us, turkey: 12",
  },
  {
    name: "a base64 payload",
    input: `{"data":"SGVsbG8gV29ybGQhIFRoaXMgaXMgbm90IGEgc2VjcmV0Lg=="}`,
  },
  { name: "an IPv6 address and a ratio", input: "listening on [::1]:8000, ratio 3:1" },
];

/**
 * A transport that passes every outgoing protocol message through the
 * redactor: tool results, errors the SDK writes itself, notifications. stdout
 * carries nothing else, so nothing reaches the client unredacted.
 */
import type { Redactor } from "../redact/mod.ts";
import type { JSONRPCMessage, Transport } from "./sdk.ts";

export class RedactingTransport implements Transport {
  readonly #inner: Transport;
  readonly #redactor: Redactor;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: Transport["onmessage"];

  constructor(inner: Transport, redactor: Redactor) {
    this.#inner = inner;
    this.#redactor = redactor;
  }

  start(): Promise<void> {
    this.#inner.onmessage = (message, extra) => this.onmessage?.(message, extra);
    this.#inner.onclose = () => this.onclose?.();
    this.#inner.onerror = (error) => this.onerror?.(error);
    return this.#inner.start();
  }

  send(message: JSONRPCMessage, options?: Parameters<Transport["send"]>[1]): Promise<void> {
    return this.#inner.send(this.#redactor.value(message) as JSONRPCMessage, options);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

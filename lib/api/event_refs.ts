/**
 * Links to events whose key the redactor would change. An event's key comes from its sender
 * (`id:` and the delivery's id), and one shaped like a credential is redacted wherever it is
 * shown, the link to the event included. Such an event is linked by an opaque reference
 * instead: random, so it tells nothing of the key, and known only to this process, which
 * resolves it back to the event for as long as it remembers it.
 */
import { toBase64Url } from "../util/mod.ts";

/** A reference starts with this; no key does (keys start with their kind: `id:`, `sha256:`). */
export const REF_MARK = "~";
/** The references remembered at most; the oldest goes first. */
const MAX_REFS = 10_000;

export class EventRefs {
  readonly #byEvent = new Map<string, string>();
  readonly #byRef = new Map<string, { route: string; key: string }>();
  readonly #max: number;

  constructor(max = MAX_REFS) {
    this.#max = max;
  }

  /** The reference of one event: the same each time while it is remembered. */
  refOf(route: string, key: string): string {
    const joined = `${route}\n${key}`;
    let ref = this.#byEvent.get(joined);
    if (ref === undefined) {
      if (this.#byEvent.size >= this.#max) {
        const [oldest, oldestRef] = this.#byEvent.entries().next().value as [string, string];
        this.#byEvent.delete(oldest);
        this.#byRef.delete(oldestRef);
      }
      ref = REF_MARK + toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
      this.#byEvent.set(joined, ref);
      this.#byRef.set(ref, { route, key });
    }
    return ref;
  }

  /** The event a reference stands for, or null when it is not one of this process's. */
  resolve(ref: string): { route: string; key: string } | null {
    return this.#byRef.get(ref) ?? null;
  }
}

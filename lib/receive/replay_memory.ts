/**
 * Exact replays recognised by their verified signature. A delivery that passed gate 2 with
 * exactly one candidate signature, byte for byte one this process saw accepted on the same
 * route, and with the same id header (which GitHub does not sign), is that delivery again:
 * two contents share an HMAC under a secret key with negligible probability. Its answer is
 * the event's duplicate, with no parse of the body and no store lookup. A replay flood
 * (anyone who captured one signed delivery can send it again and again) then costs the
 * gates and a map lookup, whatever the body's size.
 *
 * Consulted only after the signature verified: a remembered signature on another body is
 * refused at gate 2 like any forgery. Only accepts are remembered, with the claim's own
 * expiry, and claims are never released early, so a recalled event's claim still holds in
 * the store; once it has run out, or has been forgotten here (bounded, oldest first), the
 * delivery takes the full path and the store decides, as it would have.
 */
import type { ParsedDelivery } from "../schemes/mod.ts";
import { toHex } from "../util/mod.ts";

/**
 * Signatures remembered per generation; two generations are held, the older dropped whole
 * when the younger is full (as in the claim cache), so the newest 5,000 are always held and
 * at most 10,000: the last second or so of a full-speed accept flood. An older replay takes
 * the full path.
 */
const GENERATION_MAX = 5_000;
/**
 * Each generation also keeps one bit per signature's first 18 bits, so a new event (nearly
 * every delivery that is not a replay) is known unremembered from two bytes of memory, without
 * touching the large maps. A MAC's bits are uniform: at most about 2 % of the bits are set.
 */
const FILTER_BITS = 18;

export interface RememberedEvent {
  key: string;
  id: string | null;
}

interface Remembered extends RememberedEvent {
  route: string;
  headerId: string | null;
  claimedUntilMs: number;
}

/** What of a verified delivery tells it again: its candidate signatures and its id header. */
export type DeliveryTag = Pick<ParsedDelivery, "signatures" | "headerId">;

class Generation {
  /** The signature's hex → the event it signed. */
  readonly events = new Map<string, Remembered>();
  readonly #filter = new Uint8Array(1 << (FILTER_BITS - 3));

  mayHold(slot: number): boolean {
    return ((this.#filter[slot >>> 3] as number) & (1 << (slot & 7))) !== 0;
  }

  hold(slot: number, tag: string, event: Remembered): void {
    this.#filter[slot >>> 3] = (this.#filter[slot >>> 3] as number) | (1 << (slot & 7));
    this.events.set(tag, event);
  }
}

export class ReplayMemory {
  readonly #generationMax: number;
  #young = new Generation();
  #old = new Generation();

  /** `max`: signatures held at most (at least 2); the newest `max / 2` are always held. */
  constructor(max: number = 2 * GENERATION_MAX) {
    this.#generationMax = Math.max(1, Math.floor(max / 2));
  }

  /**
   * The event an exact replay repeats, or null. The delivery's candidate signatures must have
   * verified: with more than one, which one matched is not known, and none is recalled.
   */
  recall(route: string, delivery: DeliveryTag, nowMs: number): RememberedEvent | null {
    if (delivery.signatures.length !== 1) return null;
    const signature = delivery.signatures[0] as Uint8Array;
    const slot = slotOf(signature);
    const young = this.#young.mayHold(slot);
    const old = this.#old.mayHold(slot);
    if (!young && !old) return null;
    const tag = toHex(signature);
    const known = (young ? this.#young.events.get(tag) : undefined) ??
      (old ? this.#old.events.get(tag) : undefined);
    return known !== undefined && known.route === route && known.headerId === delivery.headerId &&
        known.claimedUntilMs > nowMs
      ? known
      : null;
  }

  /** An accepted event's one verified signature, until its claim runs out. */
  remember(
    route: string,
    delivery: DeliveryTag,
    event: RememberedEvent,
    claimedUntilMs: number,
  ): void {
    if (delivery.signatures.length !== 1) return;
    const signature = delivery.signatures[0] as Uint8Array;
    this.#young.hold(slotOf(signature), toHex(signature), {
      route,
      headerId: delivery.headerId,
      key: event.key,
      id: event.id,
      claimedUntilMs,
    });
    if (this.#young.events.size >= this.#generationMax) {
      this.#old = this.#young;
      this.#young = new Generation();
    }
  }
}

/** The signature's first 18 bits (a verified MAC is 32 bytes). */
function slotOf(signature: Uint8Array): number {
  return (signature[0] as number) | (signature[1] as number) << 8 |
    ((signature[2] as number) & 0x03) << 16;
}

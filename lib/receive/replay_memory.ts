/**
 * Exact replays recognised by their verified signature. A delivery that passed gate 2 with
 * exactly one candidate signature, byte for byte one this process saw accepted on the same
 * route, carries the same signed content as that event: an HMAC under a secret key does not
 * let two contents share a MAC. Its answer is the event's duplicate, with no parse of the
 * body and no store lookup. A replay flood (anyone who captured one signed delivery can
 * send it again and again) then costs the gates and a map lookup, whatever the body's size.
 *
 * Consulted only after the signature verified: a remembered signature on another body is
 * refused at gate 2 like any forgery. Only accepts are remembered, with the claim's own
 * expiry, and claims are never released early, so a recalled event's claim still holds in
 * the store; once it has run out, or has been forgotten here (bounded, oldest first), the
 * delivery takes the full path and the store decides, as it would have.
 */
import { TwoGenerationMap } from "../util/mod.ts";

/**
 * Signatures remembered (a few hundred bytes each, with the event's key and id): the last
 * second or so of a full-speed accept flood. An older replay takes the full path.
 */
const REMEMBERED_MAX = 10_000;

export interface RememberedEvent {
  key: string;
  id: string | null;
}

interface Remembered extends RememberedEvent {
  claimedUntilMs: number;
}

export class ReplayMemory {
  readonly #events: TwoGenerationMap<Remembered>;

  constructor(max: number = REMEMBERED_MAX) {
    this.#events = new TwoGenerationMap(max);
  }

  /**
   * The event an exact replay repeats, or null. `signatures` are the delivery's candidates,
   * and they must have verified: with more than one, which one matched is not known.
   */
  recall(route: string, signatures: readonly Uint8Array[], nowMs: number): RememberedEvent | null {
    if (signatures.length !== 1) return null;
    const known = this.#events.get(route, tagOf(signatures[0] as Uint8Array));
    return known !== undefined && known.claimedUntilMs > nowMs ? known : null;
  }

  /** An accepted event's one verified signature, until its claim runs out. */
  remember(
    route: string,
    signatures: readonly Uint8Array[],
    event: RememberedEvent,
    claimedUntilMs: number,
  ): void {
    if (signatures.length !== 1) return;
    this.#events.set(route, tagOf(signatures[0] as Uint8Array), {
      key: event.key,
      id: event.id,
      claimedUntilMs,
    });
  }
}

/** A signature as a map key: one character per byte (a MAC is 32 bytes, a short string). */
function tagOf(signature: Uint8Array): string {
  return String.fromCharCode.apply(null, signature as unknown as number[]);
}

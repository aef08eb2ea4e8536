/**
 * A bounded memory of group → key → value that never iterates: two generations of half the
 * bound each. Entries go into the young generation; when it is full it becomes the old one
 * and the generation before it is dropped whole. The newest half of the bound is always
 * held, at most the bound in all. (A Map used as a queue, dropping `keys().next()`, makes
 * V8 step over every entry deleted since its last rehash, on every insert.)
 *
 * Keyed in two levels so a lookup hashes the group and the key as they came, with no joined
 * string made per lookup (the stores' claim caches: route → event key → claim expiry).
 */
export class TwoGenerationMap<V> {
  #young = new Map<string, Map<string, V>>();
  #old = new Map<string, Map<string, V>>();
  #youngSize = 0;
  #oldSize = 0;
  readonly #generation: number;

  /** `max`: entries held at most (at least 2); the newest `max / 2` are always held. */
  constructor(max: number) {
    this.#generation = Math.max(1, Math.floor(max / 2));
  }

  get(group: string, key: string): V | undefined {
    return this.#young.get(group)?.get(key) ?? this.#old.get(group)?.get(key);
  }

  set(group: string, key: string, value: V): void {
    // Set again: it moves to the young generation, counted once.
    if (this.#oldSize > 0 && this.#old.get(group)?.delete(key)) this.#oldSize--;
    let young = this.#young.get(group);
    if (young === undefined) {
      young = new Map();
      this.#young.set(group, young);
    }
    const size = young.size;
    young.set(key, value);
    this.#youngSize += young.size - size;
    if (this.#youngSize >= this.#generation) {
      this.#old = this.#young;
      this.#oldSize = this.#youngSize;
      this.#young = new Map();
      this.#youngSize = 0;
    }
  }

  /** Entries held now. */
  get size(): number {
    return this.#youngSize + this.#oldSize;
  }
}

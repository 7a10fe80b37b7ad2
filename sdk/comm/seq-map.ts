/** Slots at first; a power of two. */
const FIRST_SLOTS = 256;
/** Most slots (a power of two): 512 KiB of slots, only for peers that many calls ahead. */
const MAX_SLOTS = 65536;
const EMPTY = -1;

/**
 * A map from call numbers (integers in [0, 2^31)) to small non-negative integers, for keys that
 * come and go nearly in order, as the collective calls a rank's peers made before it (see
 * `CollectiveRunner`): a key lives in slot `key % slots` of two typed arrays, so the common case
 * allocates nothing and hashes nothing. A key whose slot another key holds (a peer more calls
 * ahead than there are slots) doubles the slots, up to MAX_SLOTS; past that it goes to a Map.
 */
export class SeqMap {
  #keys = new Int32Array(FIRST_SLOTS).fill(EMPTY);
  #values = new Int32Array(FIRST_SLOTS);
  #mask = FIRST_SLOTS - 1;
  readonly #overflow = new Map<number, number>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(key: number): number | undefined {
    const slot = key & this.#mask;
    if (this.#keys[slot] === key) return this.#values[slot];
    return this.#overflow.size > 0 ? this.#overflow.get(key) : undefined;
  }

  /** Sets `key` to `value` (an integer in [0, 2^31)). */
  set(key: number, value: number): void {
    let slot = key & this.#mask;
    let held = this.#keys[slot]!;
    if (held === key) {
      this.#values[slot] = value;
      return;
    }
    if (this.#overflow.size > 0 && this.#overflow.has(key)) {
      this.#overflow.set(key, value);
      return;
    }
    while (held !== EMPTY && this.#keys.length < MAX_SLOTS) {
      this.#grow();
      slot = key & this.#mask;
      held = this.#keys[slot]!;
    }
    if (held === EMPTY) {
      this.#keys[slot] = key;
      this.#values[slot] = value;
    } else {
      this.#overflow.set(key, value);
    }
    this.#size++;
  }

  /** Removes `key` and returns its value, or undefined if it had none. */
  take(key: number): number | undefined {
    const slot = key & this.#mask;
    if (this.#keys[slot] === key) {
      this.#keys[slot] = EMPTY;
      this.#size--;
      return this.#values[slot];
    }
    if (this.#overflow.size === 0) return undefined;
    const value = this.#overflow.get(key);
    if (value !== undefined) {
      this.#overflow.delete(key);
      this.#size--;
    }
    return value;
  }

  /** Doubles the slots. Keys in distinct slots differ in their low bits, so they stay distinct. */
  #grow(): void {
    const keys = this.#keys;
    const values = this.#values;
    const slots = keys.length * 2;
    this.#keys = new Int32Array(slots).fill(EMPTY);
    this.#values = new Int32Array(slots);
    this.#mask = slots - 1;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (key === EMPTY) continue;
      this.#keys[key & this.#mask] = key;
      this.#values[key & this.#mask] = values[i]!;
    }
  }
}

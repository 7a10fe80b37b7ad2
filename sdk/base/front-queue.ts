/** Taken entries at the front of a queue are dropped once they are this many and half of it. */
const COMPACT_FROM = 1024;

/**
 * A FIFO array that is mostly taken from its front: the front moves by an index instead of
 * `shift` or `splice(0, 1)`, which copy the whole array (a queue of thousands made every take
 * O(queue)). Taken entries are cleared (so what they held can be collected) and dropped in batches.
 * Entries are addressed by absolute index in [start, end); removing one that is not the first
 * still splices (rare: a receive that matches past the front, a cancelled one).
 *
 * @example
 * const q = new FrontQueue<string>();
 * q.push('a'); q.push('b');
 * q.removeAt(q.start); // takes 'a'
 * q.first;             // 'b'
 */
export class FrontQueue<T> {
  #items: (T | undefined)[] = [];
  #start = 0;

  /** Index of the oldest entry. */
  get start(): number {
    return this.#start;
  }

  /** One past the newest entry's index. */
  get end(): number {
    return this.#items.length;
  }

  get size(): number {
    return this.#items.length - this.#start;
  }

  /** The oldest entry, if any. */
  get first(): T | undefined {
    return this.#items[this.#start];
  }

  /** The entry at index `i`, in [start, end). */
  at(i: number): T {
    return this.#items[i] as T;
  }

  push(v: T): void {
    this.#items.push(v);
  }

  /** Index of `v`, or -1. */
  indexOf(v: T): number {
    return this.#items.indexOf(v, this.#start);
  }

  /** Removes the entry at index `i` (in [start, end)); indices of the entries after it may change. */
  removeAt(i: number): void {
    const items = this.#items;
    if (i !== this.#start) {
      items.splice(i, 1);
      return;
    }
    items[i] = undefined;
    const start = i + 1;
    if (start === items.length) {
      items.length = 0;
      this.#start = 0;
    } else if (start >= COMPACT_FROM && start * 2 >= items.length) {
      items.splice(0, start);
      this.#start = 0;
    } else this.#start = start;
  }

  /** Empties the queue; returns what it held, oldest first. */
  takeAll(): T[] {
    const all = this.#items.slice(this.#start) as T[];
    this.#items.length = 0;
    this.#start = 0;
    return all;
  }
}

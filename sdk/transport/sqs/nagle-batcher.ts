export interface NagleBatcherOptions<T> {
  /** Most items in one batch (SQS: 10). */
  maxEntries: number;
  /** Most bytes in one batch, by `sizeOf` (SQS: 1 MiB). A single larger item still goes, alone. */
  maxBytes: number;
  /** An item's size; may change over time (the transport switches its size accounting). */
  sizeOf: (item: T) => number;
  /**
   * Batches that may be in flight at once. A second one starts only when a FULL batch is waiting,
   * so a partial batch always waits for the one in flight (Nagle) while a burst is not limited
   * to one request per round trip.
   */
  maxInFlight: number;
  /** Sends one batch. Settles every item itself; a rejection is reported to `onError`. */
  flush: (batch: T[]) => Promise<void>;
  onError?: (err: unknown) => void;
  /**
   * `true`: items pushed in one synchronous turn (e.g. a collective's loop of sends to the ranks
   * of one node) leave together: the first batch starts on a microtask, not inside `push`. A lone
   * item waits only for the code that pushed it to yield. Default `false`: it leaves inside `push`.
   */
  gatherTurn?: boolean;
}

/**
 * Nagle's algorithm without a timer. An item pushed while nothing is in flight goes out at once,
 * alone; items pushed while a batch is in flight wait and leave together in the next batch, as
 * soon as the one in flight returns. So a lone message is never delayed and a burst costs one
 * request per `maxEntries` items.
 *
 * @example
 * const b = new NagleBatcher({ maxEntries: 10, maxBytes: 1 << 20, sizeOf: (x) => x.length, maxInFlight: 4,
 *   flush: async (batch) => { await sendAll(batch) } });
 * b.push(item);
 */
export class NagleBatcher<T> {
  readonly #opts: NagleBatcherOptions<T>;
  // Items before #head were taken; they are compacted away once they are the larger part.
  #queue: (T | undefined)[] = [];
  #head = 0;
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];

  #pumpScheduled = false;

  constructor(options: NagleBatcherOptions<T>) {
    this.#opts = options;
  }

  /** Items waiting for a batch. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /** Batches in flight. */
  get inFlight(): number {
    return this.#inFlight;
  }

  push(item: T): void {
    this.#queue.push(item);
    if (this.#opts.gatherTurn !== true) {
      this.#pump();
      return;
    }
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /** Pushes several items at once: they may leave together even when nothing is in flight. */
  pushMany(items: readonly T[]): void {
    if (items.length === 0) return;
    for (const item of items) this.#queue.push(item);
    this.#pump();
  }

  /** Puts items back at the head of the line (to be re-planned), in their order. */
  pushFront(items: readonly T[]): void {
    if (items.length === 0) return;
    if (this.#head >= items.length) {
      this.#head -= items.length;
      for (let i = 0; i < items.length; i++) this.#queue[this.#head + i] = items[i];
    } else {
      this.#queue = [...items, ...(this.#queue.slice(this.#head) as T[])];
      this.#head = 0;
    }
    this.#pump();
  }

  /** Removes and returns every waiting item (not those in flight). */
  takePending(): T[] {
    const rest = this.#queue.slice(this.#head) as T[];
    this.#queue = [];
    this.#head = 0;
    this.#checkIdle();
    return rest;
  }

  /** Resolves once nothing waits and nothing is in flight. */
  idle(): Promise<void> {
    if (this.pending === 0 && this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #fullBatchWaiting(): boolean {
    const { maxEntries, maxBytes, sizeOf } = this.#opts;
    if (this.pending >= maxEntries) return true;
    let bytes = 0;
    for (let i = this.#head; i < this.#queue.length; i++) {
      bytes += sizeOf(this.#queue[i] as T);
      if (bytes >= maxBytes) return true;
    }
    return false;
  }

  #take(): T[] {
    const { maxEntries, maxBytes, sizeOf } = this.#opts;
    const batch: T[] = [];
    let bytes = 0;
    while (this.#head < this.#queue.length && batch.length < maxEntries) {
      const item = this.#queue[this.#head] as T;
      const size = sizeOf(item);
      if (batch.length > 0 && bytes + size > maxBytes) break;
      batch.push(item);
      this.#queue[this.#head] = undefined;
      this.#head++;
      bytes += size;
    }
    if (this.#head > 64 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return batch;
  }

  #pump(): void {
    while (this.pending > 0) {
      const mayStart =
        this.#inFlight === 0 || (this.#inFlight < this.#opts.maxInFlight && this.#fullBatchWaiting());
      if (!mayStart) return;
      const batch = this.#take();
      this.#inFlight++;
      this.#opts
        .flush(batch)
        .catch((err: unknown) => this.#opts.onError?.(err))
        .finally(() => {
          this.#inFlight--;
          this.#pump();
          this.#checkIdle();
        });
    }
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (this.pending !== 0 || this.#inFlight !== 0 || this.#idleWaiters.length === 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}

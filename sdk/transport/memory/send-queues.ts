import { FrontQueue } from '../../base/front-queue.js';
import type { MemoryTransportError } from './memory-transport-error.js';
import { allocate, type Ring, WRITE_LOCK_BUSY, WRITE_NO_SPACE, WRITE_PEER_CLOSED } from './ring.js';

interface QueuedSend {
  /** The frame's pieces, written one after another (a snapshot: nobody else modifies them). */
  readonly frame: readonly Uint8Array[];
  readonly length: number;
  /** Bytes of `frame` already in the destination ring. */
  offset: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** What the queues need from their endpoint. */
export interface SendQueuesHost {
  readonly rank: number;
  ring(dst: number): Ring;
  peerClosedError(dst: number): MemoryTransportError;
  /** A destination became blocked or unblocked (the endpoint holds the event loop meanwhile). */
  onBlockedChange(): void;
}

/**
 * One endpoint's sends that found their destination's ring full (or its lock busy), per
 * destination, oldest first. Invariants: a destination is in `#blocked` exactly while its queue is
 * non-empty; only the head of a queue may be partly written; frames to one destination reach its
 * ring in the order they were sent (a new send goes behind a non-empty queue, never around it).
 * A blocked destination is resumed by whichever comes first: its consumer freeing space (a
 * `waitAsync` on SPACE_SEQ), a spinning endpoint seeing SPACE_SEQ move (`resumeFreed`), or the
 * event loop's next turn after a busy lock.
 */
export class SendQueues {
  readonly #host: SendQueuesHost;
  /** Per destination: its waiting sends, oldest first (taken from the front by an index). */
  readonly #queues: (FrontQueue<QueuedSend> | undefined)[];
  readonly #blocked = new Set<number>();
  /** Per destination: the outstanding `waitAsync` on its SPACE_SEQ, at most one. */
  readonly #spaceWaits: (Promise<void> | undefined)[];
  /** Per destination: SPACE_SEQ when a spinning endpoint last retried its queue. */
  readonly #spaceSeen: Int32Array;
  #retryTimer: NodeJS.Immediate | undefined;
  #closed = false;
  /** Sends that found the ring full (or locked) and waited here. */
  queuedSends = 0;
  /** Times this endpoint parked on a destination's SPACE_SEQ. */
  spaceWaits = 0;

  constructor(size: number, host: SendQueuesHost) {
    this.#host = host;
    this.#queues = new Array(size).fill(undefined);
    this.#spaceWaits = new Array(size).fill(undefined);
    this.#spaceSeen = new Int32Array(size);
  }

  /** Whether sends to `dst` are waiting (a new one must queue behind them). */
  has(dst: number): boolean {
    return this.#blocked.has(dst);
  }

  /** Whether any destination is blocked. */
  get blocked(): boolean {
    return this.#blocked.size > 0;
  }

  /** Queues a frame whose first `offset` bytes are in `dst`'s ring; resolves once all are. */
  enqueue(dst: number, frame: readonly Uint8Array[], length: number, offset: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const q = this.#queues[dst] ?? (this.#queues[dst] = new FrontQueue<QueuedSend>());
      q.push({ frame, length, offset, resolve, reject });
      this.queuedSends++;
      if (q.size === 1) {
        this.#blocked.add(dst);
        this.#host.onBlockedChange();
        this.#resume(dst);
      }
    });
  }

  /** While spinning: retries queues whose destination freed space since the last look. */
  resumeFreed(): void {
    for (const dst of this.#blocked) {
      const seq = this.#host.ring(dst).spaceSeq();
      if (seq !== this.#spaceSeen[dst]) {
        this.#spaceSeen[dst] = seq;
        this.#resume(dst);
      }
    }
  }

  /**
   * Rejects every waiting send with `error(dst)` and cancels the space waits; returns them, to be
   * awaited before the event loop is released.
   */
  close(error: (dst: number) => Error): (Promise<void> | undefined)[] {
    this.#closed = true;
    if (this.#retryTimer !== undefined) clearImmediate(this.#retryTimer);
    this.#retryTimer = undefined;
    for (const dst of this.#blocked) {
      const queue = this.#queues[dst]!;
      this.#queues[dst] = undefined;
      for (const q of queue.takeAll()) q.reject(error(dst));
      // Wakes every producer parked on that ring (they re-check): cancels ours.
      if (this.#spaceWaits[dst] !== undefined) this.#host.ring(dst).notifySpace();
    }
    this.#blocked.clear();
    return [...this.#spaceWaits];
  }

  /** Writes queued frames to `dst` in order. Returns 0 when the queue is empty, else why it stopped. */
  #pump(dst: number): number {
    const queue = this.#queues[dst];
    if (queue === undefined) return 0;
    const ring = this.#host.ring(dst);
    while (queue.size > 0) {
      const q = queue.first!;
      for (;;) {
        const next = ring.write(this.#host.rank, q.frame, q.length, q.offset);
        if (next === WRITE_PEER_CLOSED) {
          const err = this.#host.peerClosedError(dst);
          for (const dropped of queue.takeAll()) dropped.reject(err);
          break;
        }
        if (next < 0) return next;
        q.offset = next;
        if (next === q.length) break;
      }
      if (queue.first !== q) break;
      queue.removeAt(queue.start);
      q.resolve();
    }
    this.#blocked.delete(dst);
    this.#host.onBlockedChange();
    return 0;
  }

  /** Pumps `dst`'s queue and arranges to be called again if it is still blocked. */
  #resume(dst: number): void {
    if (this.#closed) return;
    const why = this.#pump(dst);
    if (why === WRITE_NO_SPACE) this.#waitForSpace(dst);
    else if (why === WRITE_LOCK_BUSY) this.#retrySoon();
  }

  /** Parks on `dst`'s SPACE_SEQ (announce, read, retry, wait: see `ring.ts`). */
  #waitForSpace(dst: number): void {
    if (this.#spaceWaits[dst] !== undefined) return;
    const ring = this.#host.ring(dst);
    ring.addSpaceWaiter(1);
    for (;;) {
      const seq = ring.spaceSeq();
      const why = this.#pump(dst);
      if (why !== WRITE_NO_SPACE) {
        ring.addSpaceWaiter(-1);
        if (why === WRITE_LOCK_BUSY) this.#retrySoon();
        return;
      }
      const wait = ring.waitSpace(seq);
      if (!wait.async) continue; // space was freed since `seq`: retry
      this.spaceWaits++;
      this.#spaceWaits[dst] = wait.value.then(() => {
        this.#spaceWaits[dst] = undefined;
        ring.addSpaceWaiter(-1);
        this.#resume(dst);
      });
      return;
    }
  }

  /** The ring lock stayed busy (its holder was descheduled): retry from the event loop. */
  #retrySoon(): void {
    this.#retryTimer ??= setImmediate(() => {
      this.#retryTimer = undefined;
      for (const dst of this.#blocked) if (this.#spaceWaits[dst] === undefined) this.#resume(dst);
    });
  }
}

/**
 * A frame of `length` bytes whose bytes from `offset` on are a private copy of `parts`' (the bytes
 * before `offset` are in the ring already and are never read again).
 */
export function snapshot(parts: readonly Uint8Array[], length: number, offset: number): Uint8Array {
  const copy = allocate(length);
  let at = 0;
  for (const p of parts) {
    const end = at + p.length;
    if (end > offset) copy.set(at >= offset ? p : p.subarray(offset - at), Math.max(at, offset));
    at = end;
  }
  return copy;
}

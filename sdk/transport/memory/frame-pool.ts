import { allocate } from './ring.js';

/** Frames below this size are allocated fresh: small allocations are cheap and never page-fault. */
export const POOLED_FROM = 16 * 1024;
/** Buffers kept per size class. */
const KEEP_PER_CLASS = 2;
/** Largest size class kept (bigger frames are allocated fresh and left to the GC). */
const MAX_POOLED_BYTES = 64 * 1024 * 1024;

/**
 * Receive buffers for large frames, reused. A fresh large buffer costs a page fault per 4 KiB the
 * first time it is written (glibc returns freed large blocks to the kernel), and the GC frees the
 * old ones late: measured on a 2-core VM, a 64 KiB frame's fresh buffer cost 25-280 µs against
 * ~2 µs for copying into a warm one. So the ring drains large frames into pooled buffers, and
 * whoever has finished with a frame's bytes hands it back with `release`.
 *
 * Invariant: a buffer is either out (in `#out`, owned by one frame) or free (in a class list),
 * never both, so a second `release` of the same frame, or of a frame the pool did not hand out,
 * does nothing. A frame that is never released is simply garbage-collected.
 *
 * @example
 * const pool = new FramePool();
 * const frame = pool.take(65_600); // a view of a 128 KiB buffer
 * pool.release(frame);             // the next take() of that class reuses it
 */
export class FramePool {
  /** Free buffers by size class (log2 of their byte length). */
  readonly #free: ArrayBuffer[][] = [];
  readonly #out = new WeakSet<ArrayBufferLike>();
  #reused = 0;

  /** A Uint8Array of exactly `n` bytes, uninitialized beyond what the caller writes. */
  readonly take = (n: number): Uint8Array => {
    if (n < POOLED_FROM || n > MAX_POOLED_BYTES) return allocate(n);
    const cls = Math.ceil(Math.log2(n));
    const buffer = this.#free[cls]?.pop();
    if (buffer !== undefined) this.#reused++;
    const b = buffer ?? (allocate(2 ** cls).buffer as ArrayBuffer);
    this.#out.add(b);
    return new Uint8Array(b, 0, n);
  };

  /** Hands back a frame from `take` (or any view of its buffer): its bytes must not be read again. */
  release(frame: Uint8Array): void {
    const b = frame.buffer;
    if (!this.#out.has(b)) return;
    this.#out.delete(b);
    const cls = Math.log2(b.byteLength);
    const list = (this.#free[cls] ??= []);
    if (list.length < KEEP_PER_CLASS) list.push(b as ArrayBuffer);
  }

  /** Frames served from a reused buffer. */
  get reused(): number {
    return this.#reused;
  }
}

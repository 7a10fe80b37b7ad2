/** Frames up to this many bytes are cut from a slab (see `takeFromSlab`). */
export const SLAB_FRAME_MAX = 2048;
/** Bytes per slab: a frame kept alive keeps at most this much memory alive with it. */
const SLAB_BYTES = 32 * 1024;

/** This thread's current slab (module state is per thread) and the first free byte in it. */
let slab = new ArrayBuffer(0);
let slabAt = 0;

/**
 * A Uint8Array of `n` bytes (n <= SLAB_FRAME_MAX, zero-filled or not: the caller overwrites it)
 * cut from a slab shared by the frames received after it, starting at a multiple of 8.
 *
 * Why: a received frame becomes a view (the payload of `readFrame`), and a view of a small
 * TypedArray that owns its memory costs V8 a new ArrayBuffer made on the spot: ~400 ns for a
 * 40-byte frame, against ~60 ns for the frame itself; a frame of 65-2,048 bytes already pays an
 * ArrayBuffer of its own (~500-800 ns). Views of one 32 KiB ArrayBuffer cost neither, and the GC
 * has one ArrayBuffer to sweep per slab, not one per frame. Slabs are never reused: a slab is
 * freed by the GC once no frame cut from it is alive, so no frame's bytes ever change under it.
 */
export function takeFromSlab(n: number): Uint8Array {
  if (slabAt + n > slab.byteLength) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabAt = 0;
  }
  const frame = new Uint8Array(slab, slabAt, n);
  slabAt = (slabAt + n + 7) & ~7;
  return frame;
}

import { describe, expect, it } from 'vitest';
import { SLAB_FRAME_MAX, takeFromSlab } from '../../../../sdk/transport/memory/frame-slab.js';

describe('takeFromSlab', () => {
  it('cuts frames of the asked length that never share a byte, each at a multiple of 8', () => {
    // Enough frames of mixed sizes to fill several slabs (a slab is 32 KiB).
    const sizes = [1, 7, 8, 9, 40, 100, 1023, SLAB_FRAME_MAX, 3];
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 400; i++) frames.push(takeFromSlab(sizes[i % sizes.length]!));
    frames.forEach((f, i) => {
      expect(f.length).toBe(sizes[i % sizes.length]);
      expect(f.byteOffset % 8).toBe(0);
      f.fill(i & 0xff);
    });
    // Each frame still holds what was written to it: no later frame overlapped it.
    expect(frames.filter((f, i) => !f.every((b) => b === (i & 0xff)))).toEqual([]);
    const buffers = new Set(frames.map((f) => f.buffer));
    expect(buffers.size).toBeGreaterThan(1);
    expect(buffers.size).toBeLessThan(frames.length / 10);
  });

  it('frames are views of an ArrayBuffer (not shared memory), so a view of a frame is cheap and private', () => {
    const f = takeFromSlab(40);
    expect(f.buffer).toBeInstanceOf(ArrayBuffer);
    const payload = f.subarray(16);
    payload[0] = 9;
    expect(f[16]).toBe(9);
  });
});

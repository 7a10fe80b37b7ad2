import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { FramePool, POOLED_FROM } from '../../../../sdk/transport/memory/frame-pool.js';
import { createMemoryFabric } from '../../../../sdk/transport/memory/memory-fabric.js';
import { MemoryTransport } from '../../../../sdk/transport/memory/memory-transport.js';
import { joinBytes } from '../../../helpers/bytes.js';

const open: MemoryTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

function pair(ringBytes: number): [MemoryTransport, MemoryTransport, Uint8Array[]] {
  const fabric = createMemoryFabric(2, { ringBytes, spinMicros: 0 });
  const a = new MemoryTransport(fabric, 0);
  const b = new MemoryTransport(fabric, 1);
  open.push(a, b);
  const got: Uint8Array[] = [];
  b.start(
    (frames) => got.push(...frames.map((f) => f.slice())),
    (err) => {
      throw err;
    },
  );
  return [a, b, got];
}

describe('MemoryTransport.sendv (a frame given as pieces)', () => {
  it('delivers the concatenation of any pieces, chunked or not, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.uint8Array({ maxLength: 3000 }), { minLength: 1, maxLength: 4 }), {
          minLength: 1,
          maxLength: 8,
        }),
        async (frames) => {
          const [a, , got] = pair(1024);
          await Promise.all(frames.map((parts) => a.sendv(1, parts)));
          while (got.length < frames.length) await new Promise((r) => setImmediate(r));
          expect(got).toEqual(frames.map((f) => joinBytes(f)));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('keeps what it could not write at once: the caller may overwrite its pieces as soon as sendv returns', async () => {
    const [a, , got] = pair(1024);
    const piece = new Uint8Array(10_000).fill(7);
    const sent = a.sendv(1, [new Uint8Array([1, 2, 3]), piece]);
    piece.fill(9); // the ring (1 KiB) cannot have taken 10 KB yet
    await sent;
    while (got.length < 1) await new Promise((r) => setImmediate(r));
    expect(got[0]!.subarray(0, 3)).toEqual(new Uint8Array([1, 2, 3]));
    expect(got[0]!.subarray(3).every((x) => x === 7)).toBe(true);
  });
});

describe("MemoryTransport ring records keep the sender's alignment", () => {
  // V8 copies into and out of shared memory 8 bytes at a time only where source and destination
  // agree modulo 8 (byte by byte otherwise, ~8x slower): the ring skews each big record to match
  // the sender's memory, and the receiver gets a frame placed to match the ring.
  it('delivers a big piece at any byte offset intact, at its sender address modulo 8', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 1024, max: 200_000 }),
        async (headBytes, byteOffset, size) => {
          const fabric = createMemoryFabric(2, { ringBytes: 1 << 20, spinMicros: 0 });
          // Not the same-thread path: that one copies between ordinary buffers only.
          const a = new MemoryTransport(fabric, 0, { sameThreadDirect: false });
          const b = new MemoryTransport(fabric, 1, { sameThreadDirect: false });
          open.push(a, b);
          const got: { bytes: Uint8Array; mod: number }[] = [];
          b.start(
            (frames) => got.push(...frames.map((f) => ({ bytes: f.slice(), mod: f.byteOffset & 7 }))),
            (err) => {
              throw err;
            },
          );
          const head = new Uint8Array(headBytes).fill(5);
          const piece = new Uint8Array(size + 8).subarray(byteOffset, byteOffset + size);
          for (let i = 0; i < size; i++) piece[i] = (i * 31) & 0xff;
          await a.sendv(1, [head, piece]);
          while (got.length < 1) await new Promise((r) => setImmediate(r));
          expect(got[0]!.bytes).toEqual(joinBytes([head, piece]));
          expect((got[0]!.mod + headBytes) & 7).toBe(byteOffset);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('FramePool', () => {
  it('reuses a released buffer for the next frame of its size class, once', () => {
    const pool = new FramePool();
    const f = pool.take(POOLED_FROM + 100);
    expect(f.length).toBe(POOLED_FROM + 100);
    pool.release(f);
    pool.release(f); // a second release of the same frame changes nothing
    const g = pool.take(POOLED_FROM + 5);
    const h = pool.take(POOLED_FROM + 5);
    expect(g.buffer).toBe(f.buffer);
    expect(h.buffer).not.toBe(f.buffer);
    expect(pool.reused).toBe(1);
  });

  it('ignores frames it did not hand out and leaves small frames to the allocator', () => {
    const pool = new FramePool();
    const small = pool.take(100);
    pool.release(small);
    pool.release(new Uint8Array(POOLED_FROM * 2));
    // Small frames are cut from a slab (shared buffer), never handed out twice: their bytes are theirs.
    const again = pool.take(100);
    small.fill(1);
    again.fill(2);
    expect(small.every((b) => b === 1)).toBe(true);
    expect(pool.reused).toBe(0);
  });
});

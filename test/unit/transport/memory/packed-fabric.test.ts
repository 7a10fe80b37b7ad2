import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryFabric } from '../../../../sdk/transport/memory/memory-fabric.js';
import { MemoryTransport } from '../../../../sdk/transport/memory/memory-transport.js';
import { CONTROL_BYTES } from '../../../../sdk/transport/memory/ring.js';
import { fillFrame } from '../../../fixtures/memory-transport/frames.mjs';

// A packed fabric keeps every ring in one SharedArrayBuffer (what the local launcher posts to each
// of its workers). These tests pin that rings in one arena stay apart and deliver like separate ones.

const open: MemoryTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

describe('createMemoryFabric({ packed: true })', () => {
  it('puts every ring in one arena of size × (control + ringBytes) bytes and no separate buffers', () => {
    const fabric = createMemoryFabric(5, { ringBytes: 4096, packed: true });
    expect(fabric.rings).toHaveLength(0);
    expect(fabric.arena).toBeInstanceOf(SharedArrayBuffer);
    expect(fabric.arena!.byteLength).toBe(5 * (CONTROL_BYTES + 4096));
    expect(createMemoryFabric(2).arena).toBeUndefined();
  });

  it('delivers every pair its frames intact and in order, frames larger than a ring included', async () => {
    const size = 4;
    const fabric = createMemoryFabric(size, { ringBytes: 1024, packed: true });
    const ts = Array.from({ length: size }, (_, r) => new MemoryTransport(fabric, r, { spinMicros: 0 }));
    open.push(...ts);
    const got = ts.map(() => [] as Uint8Array[]);
    const want = ts.map(() => [] as Uint8Array[]);
    let expected = 0;
    let arrived = 0;
    let done: () => void = () => {};
    const all = new Promise<void>((resolve) => (done = resolve));
    for (const [r, t] of ts.entries()) {
      t.start(
        (batch) => {
          got[r]!.push(...batch);
          arrived += batch.length;
          if (arrived === expected) done();
        },
        (err) => {
          throw err;
        },
      );
    }
    const sends: Promise<void>[] = [];
    for (let src = 0; src < size; src++) {
      for (let dst = 0; dst < size; dst++) {
        if (src === dst) continue;
        for (const [seq, n] of [16, 3000, 700].entries()) {
          const frame = fillFrame(src, dst, seq, n);
          want[dst]!.push(frame);
          expected++;
          sends.push(ts[src]!.send(dst, frame));
        }
      }
    }
    await Promise.all(sends);
    await all;
    for (let dst = 0; dst < size; dst++) {
      const bySource = (frames: Uint8Array[], src: number) =>
        frames.filter((f) => new DataView(f.buffer, f.byteOffset).getUint32(0, true) === src);
      for (let src = 0; src < size; src++) {
        expect(bySource(got[dst]!, src).map((f) => [...f])).toEqual(
          bySource(want[dst]!, src).map((f) => [...f]),
        );
      }
    }
  });

  it('rejects a fabric whose arena is not a SharedArrayBuffer, or that has both an arena and rings', () => {
    const fabric = createMemoryFabric(2, { packed: true });
    expect(() => new MemoryTransport({ ...fabric, arena: new ArrayBuffer(8) as never }, 0)).toThrow(
      /Expected `fabric` to be made by `createMemoryFabric`/,
    );
    const both = { ...fabric, rings: createMemoryFabric(2).rings };
    expect(() => new MemoryTransport(both, 0)).toThrow(
      /Expected `fabric` to be made by `createMemoryFabric`/,
    );
  });
});

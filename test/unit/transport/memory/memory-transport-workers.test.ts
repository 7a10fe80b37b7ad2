import { describe, expect, it } from 'vitest';
import { createMemoryFabric } from '../../../../sdk/transport/memory/memory-fabric.js';
import { MemoryTransport } from '../../../../sdk/transport/memory/memory-transport.js';
import { runRanks } from '../../../fixtures/memory-transport/run-ranks.js';

// Every rank is a real worker thread; every test also proves that each worker exits by itself
// after close() (runRanks never terminates one).

const MiB = 1024 * 1024;

/** Frames expected per source: `count` from each rank in `from`. */
function expectFrom(size: number, from: number[], count: number): number[] {
  const e = new Array<number>(size).fill(0);
  for (const r of from) e[r] = count;
  return e;
}

describe('MemoryTransport between worker threads', () => {
  it('delivers 10k numbered frames from each of 8 concurrent producers in per-source order', async () => {
    const size = 9;
    const fabric = createMemoryFabric(size, { ringBytes: 64 * 1024 });
    const producers = [1, 2, 3, 4, 5, 6, 7, 8];
    const results = await runRanks(fabric, (rank) => ({
      scenario: 'traffic',
      params: {
        targets: rank === 0 ? [] : [0],
        count: 10_000,
        sizes: [8, 24, 100, 1000, 9],
        expectFrom: rank === 0 ? expectFrom(size, producers, 10_000) : expectFrom(size, [], 0),
      },
    }));
    expect(results[0]!.errors).toEqual([]);
    expect(results[0]!.received).toEqual(expectFrom(size, producers, 10_000));
    expect(results[0]!.stats.messagesReceived).toBe(80_000);
  });

  it.each([
    { spin: 'auto', options: {} },
    { spin: 'off', options: { spinMicros: 0 } },
  ])(
    'delivers all-to-all traffic (self included, chunked frames too) in per-pair order, spin $spin',
    async ({ options }) => {
      const size = 6;
      const fabric = createMemoryFabric(size, { ringBytes: 16 * 1024 });
      const all = [0, 1, 2, 3, 4, 5];
      const results = await runRanks(fabric, () => ({
        scenario: 'traffic',
        params: {
          targets: all,
          count: 300,
          sizes: [8, 64, 3000, 20_000, 16 * 1024],
          expectFrom: expectFrom(size, all, 300),
        },
        options,
      }));
      for (const r of results) {
        expect(r.errors, `rank ${r.rank}`).toEqual([]);
        expect(r.received, `rank ${r.rank}`).toEqual(expectFrom(size, all, 300));
      }
    },
  );

  it('delivers frames of 0 bytes, 1 byte and exactly the ring size intact', async () => {
    const ringBytes = 4096;
    const fabric = createMemoryFabric(2, { ringBytes });
    const sizes = [0, 1, ringBytes, 8, 0, 1, ringBytes - 1, ringBytes + 1];
    const results = await runRanks(fabric, (rank) => ({
      scenario: 'traffic',
      params: {
        targets: rank === 1 ? [0] : [],
        count: 200,
        sizes,
        expectFrom: rank === 0 ? [0, 200] : [0, 0],
        tinyFrom: 1,
      },
    }));
    expect(results[0]!.errors).toEqual([]);
    expect(results[0]!.received).toEqual([0, 200]);
    expect(results[0]!.stats.bytesReceived).toBe(results[1]!.stats.bytesSent);
  });

  it.each([
    { spin: 'auto', options: {} },
    { spin: 'off', options: { spinMicros: 0 } },
  ])(
    'moves a 64 MiB frame through a 1 MiB ring both ways at once without deadlock, spin $spin',
    async ({ options }) => {
      const fabric = createMemoryFabric(2, { ringBytes: MiB });
      const results = await runRanks(fabric, (rank) => ({
        scenario: 'traffic',
        params: {
          targets: [1 - rank],
          count: 1,
          sizes: [64 * MiB],
          expectFrom: rank === 0 ? [0, 1] : [1, 0],
        },
        options,
      }));
      for (const r of results) {
        expect(r.errors, `rank ${r.rank}`).toEqual([]);
        expect(r.stats.bytesReceived, `rank ${r.rank}`).toBe(64 * MiB);
      }
    },
  );

  it('poll() delivers frames already in the ring synchronously, and then reports nothing new', async () => {
    const fabric = createMemoryFabric(2, { ringBytes: 64 * 1024 });
    const signal = new SharedArrayBuffer(4);
    const results = await runRanks(fabric, (rank) => ({
      scenario: 'pollSync',
      params: { role: rank === 0 ? 'receiver' : 'sender', peer: 1 - rank, count: 50, signal },
    }));
    expect(results[0]).toMatchObject({ first: true, synchronously: 50, second: false, errors: [] });
  });

  it('a started transport keeps its worker alive until a frame arrives; close() lets it exit', async () => {
    const fabric = createMemoryFabric(2, { ringBytes: 4096 });
    // Rank 1 lives in this thread; the worker (rank 0) has nothing but its transport to wait on.
    const local = new MemoryTransport(fabric, 1);
    try {
      // No spinning: its setImmediate chain would hold the loop open for a while by itself.
      const results = await runRanks(fabric, () => ({ scenario: 'keepAlive', options: { spinMicros: 0 } }), {
        ranks: 1,
        onMessage: (_rank, message) => {
          if (message.type === 'ready') void local.send(0, new Uint8Array([4, 2]));
        },
      });
      expect(results[0]!.bytes).toEqual([4, 2]);
    } finally {
      await local.close();
    }
  });
});

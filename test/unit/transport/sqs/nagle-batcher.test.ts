import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NagleBatcher } from '../../../../sdk/transport/sqs/nagle-batcher.js';

describe('NagleBatcher', () => {
  it('flushes every item exactly once, in order, within the entry and byte limits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 30 }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        async (bursts, maxInFlight, gatherTurn) => {
          const batches: number[][] = [];
          let inFlight = 0;
          let peak = 0;
          const b = new NagleBatcher<{ seq: number; size: number }>({
            maxEntries: 10,
            maxBytes: 1000,
            sizeOf: (x) => x.size,
            maxInFlight,
            gatherTurn,
            flush: async (batch) => {
              peak = Math.max(peak, ++inFlight);
              batches.push(batch.map((x) => x.seq));
              const bytes = batch.reduce((n, x) => n + x.size, 0);
              if (batch.length > 10 || (batch.length > 1 && bytes > 1000)) throw new Error('limit exceeded');
              await new Promise((r) => setImmediate(r));
              inFlight--;
            },
          });
          let seq = 0;
          for (const burst of bursts) {
            for (const size of burst) b.push({ seq: seq++, size });
            await new Promise((r) => setImmediate(r));
          }
          await b.idle();
          expect(batches.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: seq }, (_, i) => i));
          // Within one destination, batches leave in push order.
          expect(batches.flat()).toEqual(Array.from({ length: seq }, (_, i) => i));
          expect(peak).toBeLessThanOrEqual(maxInFlight);
          // Gathering a turn: a burst's first batch takes as many items as fit, not one alone.
          if (gatherTurn && bursts[0]!.length > 1 && bursts[0]!.every((x) => x > 0 && x <= 100)) {
            expect(batches[0]!.length).toBe(Math.min(10, bursts[0]!.length));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('sends a lone item at once and holds a partial batch while one is in flight', async () => {
    const flushed: number[][] = [];
    let release: () => void = () => undefined;
    const b = new NagleBatcher<number>({
      maxEntries: 10,
      maxBytes: Number.POSITIVE_INFINITY,
      sizeOf: () => 1,
      maxInFlight: 4,
      flush: (batch) => {
        flushed.push(batch);
        return new Promise<void>((r) => (release = r));
      },
    });
    b.push(1);
    expect(flushed).toEqual([[1]]);
    b.push(2);
    b.push(3);
    expect(flushed).toEqual([[1]]);
    expect(b.pending).toBe(2);
    release();
    await new Promise((r) => setImmediate(r));
    expect(flushed).toEqual([[1], [2, 3]]);
    release();
    await b.idle();
  });

  it('starts another batch while one is in flight only when a full batch is waiting', () => {
    const flushed: number[][] = [];
    const b = new NagleBatcher<number>({
      maxEntries: 3,
      maxBytes: Number.POSITIVE_INFINITY,
      sizeOf: () => 1,
      maxInFlight: 2,
      flush: (batch) => {
        flushed.push(batch);
        return new Promise<void>(() => undefined);
      },
    });
    for (let i = 0; i < 9; i++) b.push(i);
    expect(flushed).toEqual([[0], [1, 2, 3]]);
    expect(b.pending).toBe(5);
    expect(b.takePending()).toEqual([4, 5, 6, 7, 8]);
  });

  it('puts re-planned items back at the head of the line', () => {
    const flushed: number[][] = [];
    const b = new NagleBatcher<number>({
      maxEntries: 10,
      maxBytes: Number.POSITIVE_INFINITY,
      sizeOf: () => 1,
      maxInFlight: 1,
      flush: async (batch) => {
        flushed.push(batch);
      },
    });
    b.pushFront([7, 8]);
    expect(flushed).toEqual([[7, 8]]);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Channel, type Envelope } from '../../../sdk/channel/channel.js';
import type { Transport } from '../../../sdk/transport/transport.js';

/** A transport whose delivery the test controls frame by frame. */
class ManualTransport implements Transport {
  readonly kind = 'manual';
  readonly sent: { dst: number; frame: Uint8Array }[] = [];
  onFrames: ((f: Uint8Array[]) => void) | undefined;
  constructor(
    readonly rank: number,
    readonly size: number,
  ) {}
  async send(dst: number, frame: Uint8Array) {
    this.sent.push({ dst, frame });
  }
  start(onFrames: (f: Uint8Array[]) => void) {
    this.onFrames = onFrames;
  }
  async close() {}
}

function pair() {
  const a = new ManualTransport(0, 2);
  const b = new ManualTransport(1, 2);
  const got: Envelope[] = [];
  const ca = new Channel(a, {
    onMessage: () => {},
    onAbort: () => {},
    onError: (e) => {
      throw e;
    },
  });
  const cb = new Channel(b, {
    onMessage: (m) => got.push(m),
    onAbort: () => {},
    onError: (e) => {
      throw e;
    },
  });
  ca.start();
  cb.start();
  return { a, b, ca, cb, got };
}

describe('channel', () => {
  it('releases frames exactly once and in send order, whatever duplication and reordering the transport does', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.nat(), { minLength: 0, maxLength: 200 }),
        fc.array(fc.nat({ max: 3 }), { minLength: 0, maxLength: 200 }),
        (n, shuffleKeys, dupCounts) => {
          const { a, b, ca, got } = pair();
          for (let i = 0; i < n; i++) void ca.send(1, 'w', i % 3, new Uint8Array([i]));
          // Each frame delivered 1..4 times, in a random order.
          const deliveries: Uint8Array[] = [];
          a.sent.forEach((s, i) => {
            for (let d = 0; d <= (dupCounts[i] ?? 0); d++) deliveries.push(s.frame);
          });
          const keyed = deliveries.map((f, i) => ({ f, k: shuffleKeys[i] ?? i }));
          keyed.sort((x, y) => x.k - y.k);
          for (const { f } of keyed) b.onFrames!([f]);
          expect(got.map((m) => m.payload[0])).toEqual(Array.from({ length: n }, (_, i) => i));
          expect(got.map((m) => m.tag)).toEqual(Array.from({ length: n }, (_, i) => i % 3));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('holds a frame back until the gap before it fills', () => {
    const { a, b, ca, got } = pair();
    for (let i = 0; i < 3; i++) void ca.send(1, 'w', 0, new Uint8Array([i]));
    b.onFrames!([a.sent[2]!.frame, a.sent[1]!.frame]);
    expect(got).toHaveLength(0);
    b.onFrames!([a.sent[0]!.frame]);
    expect(got.map((m) => m.payload[0])).toEqual([0, 1, 2]);
  });

  it('delivers abort frames at once, without sequencing', async () => {
    const a = new ManualTransport(0, 2);
    const b = new ManualTransport(1, 2);
    const aborts: [number, number][] = [];
    const ca = new Channel(a, { onMessage: () => {}, onAbort: () => {}, onError: () => {} });
    const cb = new Channel(b, {
      onMessage: () => {},
      onAbort: (s, c) => aborts.push([s, c]),
      onError: () => {},
    });
    ca.start();
    cb.start();
    await ca.broadcastAbort(7);
    b.onFrames!([a.sent[0]!.frame]);
    expect(aborts).toEqual([[0, 7]]);
  });

  it('reports a malformed frame as a transport error instead of crashing', () => {
    const b = new ManualTransport(1, 2);
    const errors: Error[] = [];
    const cb = new Channel(b, { onMessage: () => {}, onAbort: () => {}, onError: (e) => errors.push(e) });
    cb.start();
    b.onFrames!([new Uint8Array([9, 9, 9])]);
    expect(errors[0]?.message).toMatch(/malformed frame/);
  });
});

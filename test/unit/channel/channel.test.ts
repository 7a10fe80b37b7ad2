import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Channel, type Envelope } from '../../../sdk/channel/channel.js';
import { FrameKind, writeFrame } from '../../../sdk/channel/frame.js';
import type { FramePlacer, Transport } from '../../../sdk/transport/transport.js';

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
  /** A gathered send (`Channel.sendParts`), kept as one frame. */
  async sendv(dst: number, parts: readonly Uint8Array[]) {
    const frame = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      frame.set(p, at);
      at += p.length;
    }
    this.sent.push({ dst, frame });
  }
  onError: ((err: Error) => void) | undefined;
  placer: FramePlacer | undefined;
  start(onFrames: (f: Uint8Array[]) => void, onError: (err: Error) => void) {
    this.onFrames = onFrames;
    this.onError = onError;
  }
  setPlacer(placer: FramePlacer) {
    this.placer = placer;
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

  it('sends an abort to every other rank, not to itself; an abort frame without its code aborts with 1', async () => {
    const t = new ManualTransport(1, 4);
    const aborts: [number, number][] = [];
    const c = new Channel(t, {
      onMessage: () => {},
      onAbort: (s, code) => aborts.push([s, code]),
      onError: () => {},
    });
    c.start();
    await c.broadcastAbort(3);
    expect(t.sent.map((s) => s.dst)).toEqual([0, 2, 3]);
    t.onFrames!([writeFrame({ kind: FrameKind.Abort, src: 2, seq: 0, tag: 0, ctx: '' }, new Uint8Array(0))]);
    expect(aborts).toEqual([[2, 1]]);
  });

  it('counts a duplicate of a frame held back for a gap as a dropped duplicate, not as reordered', () => {
    const { a, b, ca, cb, got } = pair();
    for (let i = 0; i < 3; i++) void ca.send(1, 'w', 0, new Uint8Array([i]));
    b.onFrames!([a.sent[2]!.frame, a.sent[2]!.frame, a.sent[1]!.frame]);
    expect(cb.stats()).toMatchObject({ reordered: 2, duplicatesDropped: 1, messagesDelivered: 0 });
    b.onFrames!([a.sent[0]!.frame, a.sent[0]!.frame]);
    expect(got.map((m) => m.payload[0])).toEqual([0, 1, 2]);
    expect(cb.stats()).toMatchObject({ reordered: 2, duplicatesDropped: 2, messagesDelivered: 3 });
  });

  it('rejects sends once the transport failed for good, with its error', async () => {
    const a = new ManualTransport(0, 2);
    const errors: Error[] = [];
    const ca = new Channel(a, { onMessage: () => {}, onAbort: () => {}, onError: (e) => errors.push(e) });
    ca.start();
    const failure = new Error('transport closed');
    a.onError!(failure);
    expect(errors).toEqual([failure]);
    await expect(ca.send(1, 'w', 0, new Uint8Array([1]))).rejects.toBe(failure);
    await expect(ca.sendParts(1, 'w', 0, [new Uint8Array([1])])).rejects.toBe(failure);
    expect(a.sent).toHaveLength(0);
  });

  it('places only the next frame from its source: not a duplicate of a released one, nor one past a gap', () => {
    const a = new ManualTransport(0, 2);
    const b = new ManualTransport(1, 2);
    const placedFor: number[] = [];
    const ca = new Channel(a, { onMessage: () => {}, onAbort: () => {}, onError: () => {} });
    const cb = new Channel(b, {
      onMessage: () => {},
      onAbort: () => {},
      onError: (e) => {
        throw e;
      },
      place: (_ctx, _src, tag) => {
        placedFor.push(tag);
        return { bytes: new Uint8Array(1), payloadOffset: 0 };
      },
    });
    ca.start();
    cb.start();
    for (let i = 0; i < 3; i++) void ca.send(1, 'w', i, new Uint8Array([i]));
    const frame = (i: number) => a.sent[i]!.frame;
    b.onFrames!([frame(0)]);
    expect(b.placer!(0, frame(0), frame(0).length)).toBeUndefined(); // seq 0 again: a duplicate
    expect(b.placer!(0, frame(2), frame(2).length)).toBeUndefined(); // seq 2 before seq 1
    expect(placedFor).toEqual([]);
    expect(b.placer!(0, frame(1), frame(1).length)).toBeDefined();
    expect(placedFor).toEqual([1]);
  });

  it('reports a placed frame that the transport delivers after another copy of it, instead of dropping it', () => {
    // The receive it was bound to would wait forever; the transport broke its promise of order.
    const a = new ManualTransport(0, 2);
    const b = new ManualTransport(1, 2);
    const errors: Error[] = [];
    const got: Envelope[] = [];
    const ca = new Channel(a, { onMessage: () => {}, onAbort: () => {}, onError: () => {} });
    const cb = new Channel(b, {
      onMessage: (m) => got.push(m),
      onAbort: () => {},
      onError: (e) => errors.push(e),
      place: () => ({ bytes: new Uint8Array(1), payloadOffset: 0 }),
    });
    ca.start();
    cb.start();
    void ca.send(1, 'w', 0, new Uint8Array([1]));
    const frame = a.sent[0]!.frame;
    const placement = b.placer!(0, frame, frame.length)!;
    placement.head.set(frame.subarray(0, placement.head.length)); // the transport fills the head
    b.onFrames!([frame]);
    b.onFrames!([placement.head]);
    expect(got).toHaveLength(1);
    expect(errors.map((e) => e.message)).toEqual([
      'placed frame 0 from rank 0 came out of order (expected 1)',
    ]);
  });

  it('reports a malformed frame as a transport error instead of crashing', () => {
    const b = new ManualTransport(1, 2);
    const errors: Error[] = [];
    const cb = new Channel(b, { onMessage: () => {}, onAbort: () => {}, onError: (e) => errors.push(e) });
    cb.start();
    b.onFrames!([new Uint8Array([9, 9, 9])]);
    expect(errors[0]?.message).toMatch(/malformed frame/);
  });

  it('reports a data frame from a rank outside the job, and a finished notice without its count, as transport errors', () => {
    const b = new ManualTransport(1, 2);
    const errors: Error[] = [];
    const got: Envelope[] = [];
    const finished: number[] = [];
    const cb = new Channel(b, {
      onMessage: (m) => got.push(m),
      onAbort: () => {},
      onPeerFinished: (src) => finished.push(src),
      onError: (e) => errors.push(e),
    });
    cb.start();
    b.onFrames!([
      writeFrame({ kind: FrameKind.Data, src: 5, seq: 0, tag: 0, ctx: 'w' }, new Uint8Array([1])),
    ]);
    b.onFrames!([
      writeFrame({ kind: FrameKind.Finished, src: 0, seq: 0, tag: 0, ctx: '' }, new Uint8Array(2)),
    ]);
    expect(errors.map((e) => e.message)).toEqual([
      'malformed frame: source rank 5 is outside the job (size 2)',
      'malformed frame: a finished notice of rank 0 without its count',
    ]);
    expect(got).toEqual([]);
    expect(finished).toEqual([]);
  });
});

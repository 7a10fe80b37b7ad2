import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameKind, readFrame, writeFrame, writeFrameHead } from '../../../sdk/channel/frame.js';

const header = fc.record({
  kind: fc.constantFrom(FrameKind.Data, FrameKind.Abort, FrameKind.Finished),
  src: fc.nat({ max: 2 ** 32 - 1 }),
  seq: fc.nat({ max: 2 ** 32 - 1 }),
  tag: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  // Few short ids (as ranks use) and arbitrary ones, so the decoder's cache both hits and evicts.
  ctx: fc.oneof(
    fc.constantFrom('w', 'w*', '1.2', '1.2*', ''),
    fc.string({ maxLength: 40, unit: 'grapheme' }),
  ),
});

describe('frame layout', () => {
  it('reads back every header field and the payload, however many context ids come and go', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(header, fc.uint8Array({ maxLength: 64 })), { minLength: 1, maxLength: 40 }),
        (frames) => {
          for (const [h, payload] of frames) {
            const f = readFrame(writeFrame(h, payload));
            expect(f).toEqual({ ...h, payload });
          }
        },
      ),
    );
  });

  it('writes the head of a gathered send as the first bytes of the whole frame, little-endian', () => {
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 16 }), (h, payload) => {
        const whole = writeFrame(h, payload);
        const head = writeFrameHead(h);
        expect(whole.subarray(0, head.length)).toEqual(head);
        const dv = new DataView(whole.buffer);
        expect([dv.getUint32(4, true), dv.getUint32(8, true), dv.getInt32(12, true)]).toEqual([
          h.src,
          h.seq,
          h.tag,
        ]);
      }),
    );
  });

  it('reads a frame that is a view into a larger buffer', () => {
    const f = writeFrame({ kind: FrameKind.Data, src: 3, seq: 7, tag: -2, ctx: 'w*' }, new Uint8Array([9]));
    const big = new Uint8Array(f.length + 10);
    big.set(f, 5);
    expect(readFrame(big.subarray(5, 5 + f.length))).toEqual({
      kind: FrameKind.Data,
      src: 3,
      seq: 7,
      tag: -2,
      ctx: 'w*',
      payload: new Uint8Array([9]),
    });
  });

  it('carries context ids longer than 255 bytes (a 2-byte length), and refuses one over 65535', () => {
    for (const n of [255, 256, 1000, 0xffff]) {
      const ctx = 'c'.repeat(n);
      const f = readFrame(
        writeFrame({ kind: FrameKind.Data, src: 1, seq: 2, tag: 3, ctx }, new Uint8Array([7])),
      );
      expect(f.ctx).toBe(ctx);
      expect(f.payload).toEqual(new Uint8Array([7]));
    }
    expect(() =>
      writeFrameHead({ kind: FrameKind.Data, src: 0, seq: 0, tag: 0, ctx: 'c'.repeat(0x10000) }),
    ).toThrow(/context id too long \(65536 bytes\)/);
  });

  it('reads context ids right after the buffer of an earlier frame was reused (transports recycle them)', () => {
    const first = writeFrame(
      { kind: FrameKind.Data, src: 0, seq: 0, tag: 0, ctx: 'reused-a' },
      new Uint8Array(0),
    );
    expect(readFrame(first).ctx).toBe('reused-a');
    // The transport reuses the frame's memory for another frame, of context 'reused-b'.
    first.set(
      writeFrame({ kind: FrameKind.Data, src: 0, seq: 1, tag: 0, ctx: 'reused-b' }, new Uint8Array(0)),
    );
    expect(readFrame(first).ctx).toBe('reused-b');
    const again = writeFrame(
      { kind: FrameKind.Data, src: 0, seq: 2, tag: 0, ctx: 'reused-a' },
      new Uint8Array(0),
    );
    expect(readFrame(again).ctx).toBe('reused-a');
  });

  it('names what is wrong with a malformed frame', () => {
    expect(() => readFrame(new Uint8Array(3))).toThrow(/3 bytes is shorter than a header/);
    const f = writeFrame({ kind: FrameKind.Data, src: 0, seq: 0, tag: 0, ctx: 'abc' }, new Uint8Array(0));
    expect(() => readFrame(f.subarray(0, 17))).toThrow(/context id runs past the end/);
    f[0] = 99;
    expect(() => readFrame(f)).toThrow(/unknown version 99/);
  });
});

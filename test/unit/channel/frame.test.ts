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

  it('names what is wrong with a malformed frame', () => {
    expect(() => readFrame(new Uint8Array(3))).toThrow(/3 bytes is shorter than a header/);
    const f = writeFrame({ kind: FrameKind.Data, src: 0, seq: 0, tag: 0, ctx: 'abc' }, new Uint8Array(0));
    expect(() => readFrame(f.subarray(0, 17))).toThrow(/context id runs past the end/);
    f[0] = 99;
    expect(() => readFrame(f)).toThrow(/unknown version 99/);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../../sdk/codec/codec.js';

/** Any UTF-16 code unit, lone surrogates included, with ASCII and astral characters mixed in. */
const anyUnit = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.constantFrom('a', 'Z', '0', ' ', '_'),
);

/** Leaves beyond what fc.anything makes: everything else the codec claims to carry. */
const extraLeaves = fc.oneof(
  fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
  fc.string({ unit: anyUnit, maxLength: 80 }),
  fc.double().map((d) => new Date(d)),
  fc.constantFrom(/a+b/g, /x/imsuy, /[\d]{2,}?/),
  fc.string({ unit: anyUnit, maxLength: 20 }).map((m) => new TypeError(m)),
  fc.bigInt64Array({ maxLength: 8 }),
  fc.bigUint64Array({ maxLength: 8 }),
  fc.uint8ClampedArray({ maxLength: 8 }),
  fc.uint8Array({ maxLength: 16 }).map((a) => a.buffer),
  fc.uint8Array({ maxLength: 16 }).map((a) => new DataView(a.buffer)),
);

const anything = fc.anything({
  maxDepth: 4,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withNullPrototype: true,
  withObjectString: true,
  withSet: true,
  withSparseArray: true,
  withTypedArray: true,
  stringUnit: anyUnit,
  values: [
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.string({ unit: anyUnit }),
    fc.constantFrom(null, undefined, Number.NaN, -0, 0, Number.MAX_VALUE, Number.MIN_VALUE),
    extraLeaves,
  ],
});

describe('codec properties', () => {
  it('decode(encode(v)) equals structuredClone(v) for arbitrary values', () => {
    fc.assert(
      fc.property(anything, (v) => {
        expect(decode(encode(v))).toStrictEqual(structuredClone(v));
      }),
      { numRuns: 1000 },
    );
  });

  it('encoding is deterministic: re-encoding a decoded value gives the same bytes', () => {
    fc.assert(
      fc.property(anything, (v) => {
        const bytes = encode(v);
        expect(Buffer.from(encode(decode(bytes))).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('every double survives bit for bit', () => {
    fc.assert(
      fc.property(fc.double(), (d) => {
        expect(Object.is(decode(encode(d)), d)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('every string survives code unit for code unit, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: anyUnit, maxLength: 300 }), (s) => {
        expect(decode(encode(s))).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });

  it('every bigint survives, however large', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 2048n), max: 2n ** 2048n }), (n) => {
        expect(decode(encode(n))).toBe(n);
      }),
      { numRuns: 2000 },
    );
  });

  it('a TypedArray view at any offset comes back with the same elements in a buffer of its own', () => {
    fc.assert(
      fc.property(fc.float64Array({ maxLength: 64 }), fc.nat(), fc.nat(), (source, a, b) => {
        const start = source.length === 0 ? 0 : a % source.length;
        const end = start + (source.length === 0 ? 0 : b % (source.length - start + 1));
        const view = source.subarray(start, end);
        const back = decode(encode({ view })) as { view: Float64Array };
        expect(back.view).toStrictEqual(view);
        expect(back.view.byteOffset).toBe(0);
        expect(back.view.buffer.byteLength).toBe(view.byteLength);
      }),
      { numRuns: 500 },
    );
  });
});

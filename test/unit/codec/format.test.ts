import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../../sdk/codec/codec.js';
import { swapByteOrder, Tag, VERSION, VIEW_NAMES } from '../../../sdk/codec/format.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('codec byte format', () => {
  it('encodes a fixed value to fixed bytes (golden vector: any format drift fails here)', () => {
    const shared = [1];
    // biome-ignore lint/suspicious/noSparseArray: a hole is part of the format under test
    const holey = [, 7];
    const value = {
      n: [0, -1, 300, 1.5, -0],
      s: 'hé',
      b: -5n,
      g: 2n ** 64n,
      u: undefined,
      z: null,
      t: true,
      d: new Date(0),
      m: new Map([['k', new Uint16Array([1, 258])]]),
      h: holey,
      w: '\ud800',
      r: shared,
      r2: shared,
    };
    // Reference ids: 0 the root, 1 n, 2 d, 3 m, 4 the Uint16Array, 5 h, 6 r (so r2 is REF 6).
    const golden = [
      '01', // format version 1
      '12 0d', // OBJECT with 13 keys
      '09016e 1105 0400 04ff 052c010000 06000000000000f83f 060000000000000080', // n: ARRAY(5) INT8 0, INT8 -1, INT32 300, FLOAT64 1.5, FLOAT64 -0
      '090173 090368c3a9', // s: STRING 'hé' (UTF-8)
      '090162 07fbffffffffffffff', // b: BIGINT64 -5
      '090167 08 00 09 000000000000000001', // g: BIGINT +, 9 bytes of magnitude, least significant first
      '090175 00', // u: UNDEFINED
      '09017a 01', // z: NULL
      '090174 03', // t: TRUE
      '090164 150000000000000000', // d: DATE, f64 0
      '09016d 1301 09016b 19 04 04 01000201', // m: MAP(1) 'k' => VIEW kind 4 (Uint16Array), 4 bytes
      '090168 1102 1f 0407', // h: ARRAY(2) HOLE, INT8 7
      '090177 0a01 00d8', // w: STRING16 of 1 code unit, a lone surrogate
      '090172 1101 0401', // r: ARRAY(1) INT8 1
      '09027232 1006', // r2: REF 6
    ]
      .join('')
      .replaceAll(' ', '');
    expect(hex(encode(value))).toBe(golden);
    expect(decode(Buffer.from(golden, 'hex'))).toStrictEqual(value);
  });

  it('starts every message with the format version byte', () => {
    expect(VERSION).toBe(1);
    for (const v of [undefined, 42, 'x', { a: 1 }, new Float64Array(1)]) expect(encode(v)[0]).toBe(VERSION);
  });

  it('keeps view kind codes fixed, since they are part of the format', () => {
    expect(VIEW_NAMES).toEqual([
      'Int8Array',
      'Uint8Array',
      'Uint8ClampedArray',
      'Int16Array',
      'Uint16Array',
      'Int32Array',
      'Uint32Array',
      'Float32Array',
      'Float64Array',
      'BigInt64Array',
      'BigUint64Array',
      'Float16Array',
      'DataView',
    ]);
  });

  it('writes a TypedArray as a short header and then its bytes unchanged, little-endian', () => {
    const a = new Float64Array(131072).map((_, i) => i + 0.5);
    const bytes = encode(a);
    // version, VIEW, kind 8, varint 1048576 = 80 80 40
    expect(hex(bytes.subarray(0, 6))).toBe('011908808040');
    expect(bytes.length).toBe(6 + a.byteLength);
    const body = Buffer.from(bytes.buffer, bytes.byteOffset + 6, a.byteLength);
    expect(body.readDoubleLE(8 * 12345)).toBe(12345.5);
    expect(body.equals(Buffer.from(a.buffer))).toBe(true);
  });

  it('writes small integers in two bytes and small objects compactly', () => {
    expect(hex(encode(42))).toBe('01042a');
    expect(hex(encode({ a: 1, b: 'x' }))).toBe('0112020901610401090162090178');
  });

  it('uses tag values that are all distinct', () => {
    const values = Object.values(Tag);
    expect(new Set(values).size).toBe(values.length);
  });

  it('swapByteOrder reverses each element, for big-endian hosts', () => {
    const bytes = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    swapByteOrder(bytes, 4);
    expect([...bytes]).toEqual([4, 3, 2, 1, 8, 7, 6, 5]);
    swapByteOrder(bytes, 2);
    expect([...bytes]).toEqual([3, 4, 1, 2, 7, 8, 5, 6]);
  });
});

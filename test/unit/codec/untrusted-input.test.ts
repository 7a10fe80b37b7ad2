import { describe, expect, it } from 'vitest';
import { ERR_OTHER, ERR_TYPE, MPIError } from '../../../sdk/base/errors.js';
import { seededRandom } from '../../../sdk/base/seeded-random.js';
import { decode, encode } from '../../../sdk/codec/codec.js';
import { MAX_DEPTH, Tag, VERSION } from '../../../sdk/codec/format.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const bytesOf = (...parts: (number | number[])[]): Uint8Array => new Uint8Array(parts.flat());

/** The error `decode` throws on `bytes`; fails the test when it returns instead. */
function decodeError(bytes: Uint8Array): MPIError {
  try {
    decode(bytes);
  } catch (e) {
    if (!(e instanceof MPIError)) throw new Error(`decode threw a non-MPIError on ${hex(bytes)}: ${e}`);
    return e;
  }
  throw new Error(`decode accepted ${hex(bytes)}`);
}

function expectCorrupt(bytes: Uint8Array, detail?: RegExp): void {
  const e = decodeError(bytes);
  expect(e.errorClass).toBe(ERR_OTHER);
  expect(e.message).toMatch(/^corrupt message: /);
  if (detail) expect(e.message).toMatch(detail);
}

function corpus(): Uint8Array[] {
  const shared = { s: 'shared' };
  const cyclic: Record<string, unknown> = { name: 'c' };
  cyclic.self = cyclic;
  return [
    42,
    -0,
    'héllo 😀',
    '\ud800 lone',
    12345678901234567890123456789n,
    -7n,
    // biome-ignore lint/suspicious/noSparseArray: a hole is part of the format under test
    [1, , 3],
    [0.5, -0, Number.NaN, 1e300, -7, 300, 'x'],
    { a: 1, b: 'x', c: [true, null, undefined] },
    { __proto__x: 1, nested: { deeper: { deepest: [shared, shared] } } },
    new Map<unknown, unknown>([
      ['k', 1],
      [{ o: 1 }, new Set([1, 2])],
    ]),
    new Date(1e12),
    /re+gex/gi,
    new RangeError('bad', { cause: { code: 7 } }),
    new Float64Array([1.5, -2, Number.NaN]),
    new BigInt64Array([1n, -1n]),
    new DataView(new ArrayBuffer(5)),
    new Uint8Array(40).buffer,
    [Object(1), Object('s'), Object(2n)],
    cyclic,
  ].map((v) => encode(v));
}

describe('codec decode on untrusted bytes', () => {
  it('only ever returns a value or throws MPIError on 20000 random and mutated inputs', () => {
    const random = seededRandom(0x5eed);
    const seeds = corpus();
    const pick = (n: number): number => Math.floor(random() * n);
    for (let i = 0; i < 20_000; i++) {
      const base = seeds[pick(seeds.length)]!;
      let input: Uint8Array;
      switch (i % 5) {
        case 0: {
          // Random bytes, mostly behind a valid version byte so the value parser is reached.
          input = Uint8Array.from({ length: 1 + pick(48) }, () => pick(256));
          if (random() < 0.9) input[0] = VERSION;
          break;
        }
        case 1: {
          input = base.slice();
          for (let k = 1 + pick(3); k > 0; k--) input[pick(input.length)] = pick(256);
          break;
        }
        case 2:
          input = base.slice(0, pick(base.length + 1));
          break;
        case 3: {
          const at = 1 + pick(base.length);
          const noise = Uint8Array.from({ length: 1 + pick(8) }, () => (random() < 0.5 ? 0xff : pick(256)));
          input = new Uint8Array([...base.subarray(0, at), ...noise, ...base.subarray(at)]);
          break;
        }
        default: {
          const other = seeds[pick(seeds.length)]!;
          input = new Uint8Array([
            ...base.subarray(0, pick(base.length + 1)),
            ...other.subarray(1 + pick(other.length)),
          ]);
        }
      }
      try {
        decode(input);
      } catch (e) {
        if (!(e instanceof MPIError) || (e.errorClass !== ERR_OTHER && e.errorClass !== ERR_TYPE)) {
          throw new Error(`iteration ${i}: decode(${hex(input)}) threw ${String(e)}`);
        }
      }
    }
  });

  it('rejects every strict prefix of a valid message as corrupt', () => {
    for (const bytes of corpus()) {
      for (let n = 0; n < bytes.length; n++) expectCorrupt(bytes.subarray(0, n));
    }
  });

  it('rejects an empty message, an unknown version, trailing bytes and unknown tags', () => {
    expectCorrupt(new Uint8Array(0), /empty message/);
    expectCorrupt(bytesOf(2, Tag.NULL), /format version 2 is not supported \(this build reads version 1\)/);
    expectCorrupt(bytesOf(VERSION, Tag.NULL, 0), /1 byte left over after the value/);
    expectCorrupt(bytesOf(VERSION, 0x7e), /unknown tag 0x7e at byte 1/);
    expectCorrupt(bytesOf(VERSION, Tag.HOLE), /unknown tag 0x1f/);
  });

  it('checks forged lengths against the bytes left before allocating anything', () => {
    const huge = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]; // varint 2^46 - 1
    for (const tag of [Tag.ARRAY, Tag.OBJECT, Tag.MAP, Tag.SET, Tag.STRING, Tag.STRING16, Tag.ARRAYBUFFER]) {
      expectCorrupt(bytesOf(VERSION, tag, huge), /length 70368744177663 at byte 2 exceeds the 0 bytes left/);
    }
    expectCorrupt(bytesOf(VERSION, Tag.VIEW, 8, huge), /exceeds the 0 bytes left/);
    expectCorrupt(bytesOf(VERSION, Tag.BIGINT, 0, huge), /exceeds the 0 bytes left/);
    expectCorrupt(
      bytesOf(VERSION, Tag.ARRAY, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01),
      /longer than 8/,
    );
    expectCorrupt(bytesOf(VERSION, Tag.ARRAY, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), /too large/);
  });

  it('rejects a reference to an object not yet defined', () => {
    expectCorrupt(bytesOf(VERSION, Tag.REF, 0), /reference to object 0 before it was defined/);
    expectCorrupt(bytesOf(VERSION, Tag.ARRAY, 2, Tag.REF, 0, Tag.REF, 1), /reference to object 1/);
  });

  it('rejects malformed strings, keys, views, bigints, errors and boxed values', () => {
    expectCorrupt(bytesOf(VERSION, Tag.STRING, 2, 0xc3, 0x28), /invalid UTF-8/);
    expectCorrupt(bytesOf(VERSION, Tag.STRING, 40, Array(40).fill(0xff)), /invalid UTF-8/);
    expectCorrupt(bytesOf(VERSION, Tag.OBJECT, 1, Tag.INT8, 1, Tag.NULL), /expected a string at byte 3/);
    expectCorrupt(bytesOf(VERSION, Tag.VIEW, 99, 0), /unknown view kind 99/);
    expectCorrupt(bytesOf(VERSION, Tag.VIEW, 8, 3, 1, 2, 3), /not a multiple of 8/);
    expectCorrupt(bytesOf(VERSION, Tag.BIGINT, 2, 1, 1), /bigint sign byte 2/);
    expectCorrupt(bytesOf(VERSION, Tag.ERROR, Tag.STRING, 0, 0x08), /error flags 0x8/);
    expectCorrupt(bytesOf(VERSION, Tag.BOXED, Tag.ARRAY, 0), /a boxed value must be/);
    expectCorrupt(bytesOf(VERSION, Tag.REGEXP, Tag.STRING, 1, 0x28, Tag.STRING, 0), /invalid RegExp/);
  });

  it(`rejects nesting deeper than ${MAX_DEPTH} levels as corrupt instead of overflowing the stack`, () => {
    const deep = (levels: number): Uint8Array => {
      const bytes = new Uint8Array(1 + 2 * levels + 1);
      bytes[0] = VERSION;
      for (let i = 0; i < levels; i++) bytes.set([Tag.ARRAY, 1], 1 + 2 * i);
      bytes[bytes.length - 1] = Tag.NULL;
      return bytes;
    };
    expect(decode(deep(MAX_DEPTH))).toBeInstanceOf(Array);
    expectCorrupt(deep(MAX_DEPTH + 1), /nested more than 2000 levels deep/);
    expectCorrupt(deep(1_000_000), /nested more than 2000 levels deep/);
  });

  it('sets "__proto__" keys as own properties and never touches any prototype', () => {
    const proto = [Tag.STRING, 9, ...new TextEncoder().encode('__proto__')];
    const polluted = [Tag.OBJECT, 1, Tag.STRING, 8, ...new TextEncoder().encode('polluted'), Tag.TRUE];
    const o = decode(bytesOf(VERSION, Tag.OBJECT, 1, proto, polluted)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(Object.hasOwn(o, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();

    // The same through the own properties of an error.
    const err = decode(
      bytesOf(VERSION, Tag.ERROR, Tag.STRING, 5, ...new TextEncoder().encode('Error'), 0, 1, proto, polluted),
    ) as Error;
    expect(Object.getPrototypeOf(err)).toBe(Error.prototype);
    expect(Object.hasOwn(err, '__proto__')).toBe(true);
    expect((Error.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('revives errors only as built-in error classes, whatever name the bytes give', () => {
    for (const name of ['constructor', '__proto__', 'Function', 'Object', 'MPIError']) {
      const encodedName = new TextEncoder().encode(name);
      const err = decode(
        bytesOf(VERSION, Tag.ERROR, Tag.STRING, encodedName.length, ...encodedName, 0, 0),
      ) as Error;
      expect(Object.getPrototypeOf(err)).toBe(Error.prototype);
      expect(err.name).toBe(name);
    }
  });
});

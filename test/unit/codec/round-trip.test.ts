import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERR_ARG, ERR_TYPE, MPIError } from '../../../sdk/base/errors.js';
import { decode, encode, encodeParts, isTypedArray, viewOf } from '../../../sdk/codec/codec.js';
import { MAX_DEPTH } from '../../../sdk/codec/format.js';

/** What the receiver of `v` gets. */
function roundTrip<T>(v: T): T {
  return decode(encode(v)) as T;
}

describe('codec round trips primitives exactly', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['true', true],
    ['false', false],
  ])('%s comes back as itself', (_name, v) => {
    expect(roundTrip(v)).toBe(v);
  });

  it.each([
    0,
    1,
    -1,
    127,
    -128,
    128,
    -129,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 31,
    -(2 ** 31) - 1,
    1.5,
    -2.25,
    0.1,
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    Number.EPSILON,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
  ])('the number %d comes back identical', (n) => {
    expect(Object.is(roundTrip(n), n)).toBe(true);
  });

  it('keeps -0 negative and NaN not-a-number', () => {
    expect(Object.is(roundTrip(-0), -0)).toBe(true);
    expect(Object.is(roundTrip(0), 0)).toBe(true);
    expect(Number.isNaN(roundTrip(Number.NaN))).toBe(true);
  });

  it.each([
    0n,
    1n,
    -1n,
    2n ** 63n - 1n,
    -(2n ** 63n),
    2n ** 63n,
    -(2n ** 63n) - 1n,
    2n ** 64n,
    -(2n ** 64n),
    255n,
    256n,
    2n ** 1000n + 12345n,
    -(3n ** 700n),
  ])('the bigint %d comes back equal, sign and all', (n) => {
    const back = roundTrip(n);
    expect(typeof back).toBe('bigint');
    expect(back).toBe(n);
  });

  it.each([
    ['empty', ''],
    ['ASCII', 'hello world'],
    ['Latin-1', 'héllo, ça va'],
    ['CJK', '数据并行'],
    ['emoji (surrogate pairs)', '😀👍🏽 ok'],
    ['NUL and control characters', 'a\u0000b\u0001\n\t'],
    ['a leading byte order mark', '\ufeffBOM'],
    ['42 code units (the one-byte length limit)', 'é'.repeat(42)],
    ['43 code units', 'é'.repeat(43)],
    ['64 and 65 code units', `${'€'.repeat(64)}|${'x'.repeat(65)}`],
    ['long ASCII', 'abc'.repeat(50_000)],
    ['long non-ASCII', 'ü€😀'.repeat(20_000)],
  ])('a %s string comes back identical', (_name, s) => {
    expect(roundTrip(s)).toBe(s);
  });

  it.each([
    ['a lone high surrogate', '\ud800'],
    ['a lone low surrogate inside text', 'a\udc00b'],
    ['reversed surrogates', '\udc00\ud800'],
    ['a high surrogate at the end', `x${'y'.repeat(60)}\udbff`],
    ['a long string with one lone surrogate', `${'z'.repeat(10_000)}\ud834${'z'.repeat(10)}`],
  ])('a string with %s keeps every code unit', (_name, s) => {
    expect(roundTrip(s)).toBe(s);
  });
});

describe('codec round trips built-in objects', () => {
  it('keeps a Date, valid or not', () => {
    const d = new Date(Date.UTC(2024, 1, 29, 12, 34, 56, 789));
    const back = roundTrip(d);
    expect(back).toBeInstanceOf(Date);
    expect(back.getTime()).toBe(d.getTime());
    expect(Number.isNaN(roundTrip(new Date(Number.NaN)).getTime())).toBe(true);
  });

  it('keeps a RegExp source and flags', () => {
    const unicodeSets = 'v'; // a flag newer than the TypeScript target, so not in a literal
    for (const re of [/a+b?/, /x/dgimsuy, new RegExp('\\p{L}+', unicodeSets), /\//, /[\ud800]/u]) {
      const back = roundTrip(re);
      expect(back).toBeInstanceOf(RegExp);
      expect(back.source).toBe(re.source);
      expect(back.flags).toBe(re.flags);
    }
  });

  it('keeps arrays, nested, with their holes', () => {
    expect(roundTrip([1, 'two', [3, [4]], {}])).toStrictEqual([1, 'two', [3, [4]], {}]);
    // biome-ignore lint/suspicious/noSparseArray: holes are what this test is about
    const sparse = [1, , 3, , ,];
    const back = roundTrip(sparse);
    expect(back).toHaveLength(5);
    expect(1 in back).toBe(false);
    expect(4 in back).toBe(false);
    expect(back).toStrictEqual(sparse);
    expect(roundTrip(new Array(3))).toStrictEqual(new Array(3));
    expect(roundTrip([undefined])).toStrictEqual([undefined]);
    expect(0 in roundTrip([undefined])).toBe(true);
  });

  it('keeps long arrays of numbers exactly, every kind mixed with other values', () => {
    const kinds = [0.5, -0, Number.NaN, Number.POSITIVE_INFINITY, -7, 300, 2 ** 40, 'x', null, [1.25]];
    const a = Array.from({ length: 10_000 }, (_, i) => (i % 3 === 0 ? kinds[i % kinds.length] : i / 7));
    const back = roundTrip(a);
    expect(back).toHaveLength(a.length);
    expect(back).toStrictEqual(a);
    expect(Object.is(a[21], -0) && Object.is(back[21], -0)).toBe(true);
    expect(back[12]).toBeNaN();
  });

  it('keeps numbers at the INT8 and INT32 edges inside arrays, which have a write loop of their own', () => {
    const edges = [127, 128, -128, -129, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, -0, 0];
    const back = roundTrip(edges) as number[];
    expect(back).toStrictEqual(edges);
    expect(back.map((n, i) => Object.is(n, edges[i]))).toEqual(edges.map(() => true));
  });

  it('keeps holes and other values at the edges of the 4,096-element runs numbers are written in', () => {
    const a: unknown[] = Array.from({ length: 12_300 }, (_, i) => i - 6000.5);
    for (const i of [4095, 8192]) delete a[i];
    for (const i of [4096, 8191, 12_287]) a[i] = `s${i}`;
    a[4097] = -0;
    a[12_288] = undefined;
    const back = roundTrip(a);
    expect(back).toStrictEqual(a);
    expect([4095 in back, 8192 in back, 12_288 in back]).toEqual([false, false, true]);
    expect(Object.is(back[4097], -0)).toBe(true);
    // The same bytes as one number at a time: INT8 0 is 2 bytes, INT32 300 five, FLOAT64 nine.
    expect(encode([0, 300, 0.5]).length).toBe(1 + 1 + 1 + 2 + 5 + 9);
  });

  it('reads each array element once, as structured clone does, even one behind a getter', () => {
    let stringReads = 0;
    let numberReads = 0;
    const a: unknown[] = [1, 2, 3, 4];
    Object.defineProperty(a, 1, {
      enumerable: true,
      get: () => {
        stringReads++;
        return 'two';
      },
    });
    Object.defineProperty(a, 2, {
      enumerable: true,
      get: () => {
        numberReads++;
        return 3.5;
      },
    });
    expect(roundTrip(a)).toEqual([1, 'two', 3.5, 4]);
    expect([stringReads, numberReads]).toEqual([1, 1]);
  });

  it('keeps plain objects: keys, their order, undefined values and nesting', () => {
    const o = { b: 1, a: { deep: [true, null] }, 'with space': 'x', 10: 'ten', u: undefined, '': 'empty' };
    const back = roundTrip(o);
    expect(back).toStrictEqual(o);
    expect(Object.keys(back)).toEqual(Object.keys(o));
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });

  it('sends class instances and null-prototype objects as plain objects, as structured clone does', () => {
    class Point {
      constructor(
        public x: number,
        public y: number,
      ) {}
      get norm(): number {
        return Math.hypot(this.x, this.y);
      }
    }
    const back = roundTrip(new Point(3, 4));
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(back).toStrictEqual({ x: 3, y: 4 });
    const bare = Object.assign(Object.create(null) as object, { k: 1 });
    const bareBack = roundTrip(bare);
    expect(Object.getPrototypeOf(bareBack)).toBe(Object.prototype);
    expect(bareBack).toStrictEqual({ k: 1 });
  });

  it('leaves out symbol-keyed and non-enumerable properties, as structured clone does', () => {
    const o: Record<string | symbol, unknown> = { shown: 1, [Symbol('s')]: 2 };
    Object.defineProperty(o, 'hidden', { value: 3, enumerable: false });
    expect(roundTrip(o)).toStrictEqual({ shown: 1 });
  });

  it('keeps an own "__proto__" key as an own property, not as the prototype', () => {
    const o = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Record<string, unknown>;
    const back = roundTrip(o);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.hasOwn(back, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toStrictEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps Maps and Sets with their order and any keys', () => {
    const key = { id: 1 };
    const m = new Map<unknown, unknown>([
      ['a', 1],
      [2, 'b'],
      [key, [key]],
      [Number.NaN, null],
    ]);
    const back = roundTrip(m);
    expect(back).toBeInstanceOf(Map);
    expect(back).toStrictEqual(m);
    expect([...back.keys()].slice(0, 2)).toEqual(['a', 2]);
    const objectKey = [...back.keys()][2] as object;
    expect(back.get(objectKey)).toStrictEqual([objectKey]);
    expect((back.get(objectKey) as unknown[])[0]).toBe(objectKey);
    const s = new Set<unknown>([1, 'x', { y: 2 }, -0]);
    const setBack = roundTrip(s);
    expect(setBack).toBeInstanceOf(Set);
    expect(setBack).toStrictEqual(s);
  });

  it('keeps boxed primitives boxed', () => {
    for (const boxed of [
      Object(5),
      Object(-0),
      Object('s'),
      Object(true),
      Object(false),
      Object(10n ** 30n),
    ]) {
      const back = roundTrip(boxed as object);
      expect(typeof back).toBe('object');
      expect(Object.prototype.toString.call(back)).toBe(Object.prototype.toString.call(boxed));
      expect(Object.is(back.valueOf(), boxed.valueOf())).toBe(true);
    }
  });

  it('keeps Error name, message, stack, cause and own enumerable properties', () => {
    const inner = new TypeError('inner');
    const err = new RangeError('out of range', { cause: inner });
    const back = roundTrip(err);
    expect(back).toBeInstanceOf(RangeError);
    expect(back.name).toBe('RangeError');
    expect(back.message).toBe('out of range');
    expect(back.stack).toBe(err.stack);
    expect(back.cause).toBeInstanceOf(TypeError);
    expect((back.cause as Error).message).toBe('inner');

    const mpi = new MPIError(ERR_TYPE, 'bad operand');
    const mpiBack = roundTrip(mpi) as Error & { errorClass?: number };
    expect(mpiBack).toBeInstanceOf(Error);
    expect(mpiBack.name).toBe('MPIError');
    expect(Object.keys(mpiBack)).toEqual(Object.keys(mpi));
    expect(mpiBack.message).toBe('bad operand');
    expect(mpiBack.errorClass).toBe(ERR_TYPE);
  });

  it('keeps a custom error name and an error without message or stack', () => {
    class QuotaError extends Error {
      override name = 'QuotaError';
    }
    const back = roundTrip(new QuotaError('over'));
    expect(back).toBeInstanceOf(Error);
    expect(back.name).toBe('QuotaError');
    expect(back.message).toBe('over');

    const bare = new Error();
    Reflect.deleteProperty(bare, 'stack');
    const bareBack = roundTrip(bare);
    expect(Object.hasOwn(bareBack, 'message')).toBe(false);
    expect(bareBack.stack).toBeUndefined();
  });

  it('keeps an Error inherited name that is not a built-in one', () => {
    class LegacyError extends Error {}
    LegacyError.prototype.name = 'LegacyError';
    const back = roundTrip(new LegacyError('old'));
    expect(back.name).toBe('LegacyError');
    expect(Object.keys(back)).toEqual([]);
  });
});

describe('codec round trips binary data', () => {
  const kinds = [
    new Int8Array([-128, 0, 127]),
    new Uint8Array([0, 1, 255]),
    new Uint8ClampedArray([0, 128, 255]),
    new Int16Array([-32768, 1, 32767]),
    new Uint16Array([0, 258, 65535]),
    new Int32Array([-(2 ** 31), 7, 2 ** 31 - 1]),
    new Uint32Array([0, 2 ** 32 - 1]),
    new Float32Array([1.5, -0, Number.NaN, Number.POSITIVE_INFINITY]),
    new Float64Array([Math.PI, -0, Number.NaN, Number.MIN_VALUE]),
    new BigInt64Array([-(2n ** 63n), 0n, 2n ** 63n - 1n]),
    new BigUint64Array([0n, 2n ** 64n - 1n]),
  ];

  it.each(kinds.map((a) => [a.constructor.name, a] as const))(
    'keeps a %s: type, length and every bit',
    (_n, a) => {
      const back = roundTrip(a);
      expect(Object.getPrototypeOf(back)).toBe(Object.getPrototypeOf(a));
      expect(back).toStrictEqual(a);
      expect(new Uint8Array(back.buffer)).toStrictEqual(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    },
  );

  it('gives each decoded TypedArray a fresh ArrayBuffer of exactly its length, at offset 0', () => {
    const backing = new ArrayBuffer(64);
    const odd = { pad: 'x', view: new Float64Array(backing, 8, 3), other: new Int16Array(backing, 2, 5) };
    odd.view.set([1, 2, 3]);
    const back = roundTrip(odd);
    for (const v of [back.view, back.other]) {
      expect(v.byteOffset).toBe(0);
      expect(v.buffer.byteLength).toBe(v.byteLength);
      expect(v.buffer).not.toBe(backing);
    }
    expect([...back.view]).toEqual([1, 2, 3]);
    expect(back.view.buffer).not.toBe(back.other.buffer);
  });

  it('receives a 1 MiB Float64Array intact', () => {
    const big = new Float64Array(131072).map((_, i) => i * 0.25 - 7);
    const back = roundTrip({ field: big, after: 'tail' });
    expect(back.field).toBeInstanceOf(Float64Array);
    expect(back.field.buffer.byteLength).toBe(big.byteLength);
    // Byte-wise compare: an element-wise toStrictEqual over 131072 numbers takes most of a second.
    expect(Buffer.from(back.field.buffer).equals(Buffer.from(big.buffer))).toBe(true);
    expect(back.after).toBe('tail');
  });

  it('receives a Node Buffer as a plain Uint8Array, as structured clone does', () => {
    const back = roundTrip(Buffer.from('hello'));
    expect(Object.getPrototypeOf(back)).toBe(Uint8Array.prototype);
    expect(new TextDecoder().decode(back)).toBe('hello');
  });

  it('copies a view backed by a SharedArrayBuffer into an ordinary ArrayBuffer', () => {
    const shared = new Int32Array(new SharedArrayBuffer(16));
    shared.set([1, 2, 3, 4]);
    const back = roundTrip(shared);
    expect(back.buffer).toBeInstanceOf(ArrayBuffer);
    expect([...back]).toEqual([1, 2, 3, 4]);
  });

  it('keeps an ArrayBuffer and a DataView with their bytes', () => {
    const ab = new Uint8Array([1, 2, 3, 250]).buffer;
    const back = roundTrip(ab);
    expect(back).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(back)]).toEqual([1, 2, 3, 250]);
    const dv = new DataView(new ArrayBuffer(12), 4, 6);
    dv.setUint16(0, 0xbeef, true);
    const dvBack = roundTrip(dv);
    expect(dvBack).toBeInstanceOf(DataView);
    expect(dvBack.byteLength).toBe(6);
    expect(dvBack.getUint16(0, true)).toBe(0xbeef);
    expect(roundTrip(new ArrayBuffer(0)).byteLength).toBe(0);
    expect(roundTrip(new Float64Array(0))).toStrictEqual(new Float64Array(0));
  });

  const Float16 = (globalThis as Record<string, unknown>).Float16Array as
    | (new (
        values: number[],
      ) => ArrayLike<number>)
    | undefined;
  // Float16Array exists from Node 24 on; on older Node there is nothing to send.
  it.runIf(Float16 !== undefined)('keeps a Float16Array where the runtime has one', () => {
    const a = new Float16!([1.5, -2, 65504]);
    expect(roundTrip(a)).toStrictEqual(a);
  });

  // The other side of the test above: an older Node receiving one must say so, not crash.
  it.runIf(Float16 === undefined)(
    'refuses to decode a Float16Array with ERR_TYPE where the runtime has none',
    () => {
      let thrown: unknown;
      try {
        decode(new Uint8Array([1, 0x19, 11, 2, 0, 0x3c]));
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(MPIError);
      expect((thrown as MPIError).errorClass).toBe(ERR_TYPE);
      expect((thrown as MPIError).message).toMatch(
        /^cannot receive a Float16Array: this runtime has no Float16Array/,
      );
    },
  );

  it('isTypedArray is true for every TypedArray kind and false for DataView and the rest', () => {
    for (const a of kinds) expect(isTypedArray(a)).toBe(true);
    expect(isTypedArray(Buffer.alloc(1))).toBe(true);
    for (const v of [new DataView(new ArrayBuffer(1)), new ArrayBuffer(1), [1], { length: 1 }, null, 3]) {
      expect(isTypedArray(v)).toBe(false);
    }
  });
});

describe('codec keeps identity like structured clone', () => {
  it('sends an object referenced twice once, and the receiver sees one object', () => {
    const shared = { n: 1 };
    const back = roundTrip({ a: shared, b: shared, list: [shared] });
    expect(back.a).toBe(back.b);
    expect(back.list[0]).toBe(back.a);
  });

  it('keeps cycles through objects, arrays, Maps, Sets and error causes', () => {
    const o: Record<string, unknown> = { name: 'root' };
    o.self = o;
    const arr: unknown[] = [o];
    arr.push(arr);
    o.arr = arr;
    const m = new Map<unknown, unknown>();
    m.set(m, o);
    o.map = m;
    const s = new Set<unknown>();
    s.add(s);
    o.set = s;
    const err = new Error('loop') as Error & { cause?: unknown };
    err.cause = err;
    o.err = err;

    const back = roundTrip(o) as typeof o & {
      arr: unknown[];
      map: Map<unknown, unknown>;
      set: Set<unknown>;
      err: Error;
    };
    expect(back.self).toBe(back);
    expect(back.arr[0]).toBe(back);
    expect(back.arr[1]).toBe(back.arr);
    expect(back.map.get(back.map)).toBe(back);
    expect(back.set.has(back.set)).toBe(true);
    expect(back.err.cause).toBe(back.err);
  });

  it('keeps the identity of a TypedArray, Date and boxed value sent twice', () => {
    const ta = new Uint8Array([1]);
    const d = new Date(5);
    const boxed = Object('s') as object;
    const back = roundTrip([ta, d, boxed, ta, d, boxed]);
    expect(back[3]).toBe(back[0]);
    expect(back[4]).toBe(back[1]);
    expect(back[5]).toBe(back[2]);
  });
});

describe('codec encode and decode behaviour', () => {
  it('returns a deep copy that later changes to the original do not reach', () => {
    const o = { list: [1, 2], ta: new Uint8Array([9]) };
    const bytes = encode(o);
    o.list.push(3);
    o.ta[0] = 0;
    const back = decode(bytes) as typeof o;
    expect(back).toStrictEqual({ list: [1, 2], ta: new Uint8Array([9]) });
    back.list.push(4);
    expect((decode(bytes) as typeof o).list).toEqual([1, 2]);
  });

  it('returns a fresh Uint8Array that a later encode does not overwrite', () => {
    const first = encode({ a: 'first' });
    const copy = first.slice();
    encode({ a: 'second, and longer' });
    expect(first).toStrictEqual(copy);
    expect(first.buffer.byteLength).toBe(first.byteLength);
  });

  it('decodes from a Buffer or a view into a larger buffer without sharing memory with it', () => {
    const bytes = encode({ ta: new Uint8Array([1, 2, 3]) });
    const inside = new Uint8Array(bytes.length + 10);
    inside.set(bytes, 5);
    const fromView = decode(inside.subarray(5, 5 + bytes.length)) as { ta: Uint8Array };
    const fromBuffer = decode(Buffer.from(bytes)) as { ta: Uint8Array };
    for (const back of [fromView, fromBuffer]) {
      expect([...back.ta]).toEqual([1, 2, 3]);
      expect(back.ta.buffer.byteLength).toBe(3);
    }
    inside.fill(0);
    expect([...fromView.ta]).toEqual([1, 2, 3]);
  });

  it('rejects a decode argument that is not a Uint8Array with ERR_ARG', () => {
    for (const bad of ['bytes', null, [1, 0], new Uint16Array(2), new ArrayBuffer(2)]) {
      let thrown: unknown;
      try {
        decode(bad as unknown as Uint8Array);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(MPIError);
      expect((thrown as MPIError).errorClass).toBe(ERR_ARG);
      expect((thrown as MPIError).message).toMatch(/^Expected `bytes` to be a Uint8Array, got /);
    }
  });

  it('lets a getter read during encode call encode itself', () => {
    const inner = { x: 1 };
    const o = {
      get nested(): Uint8Array {
        return encode(inner);
      },
      after: 'still here',
    };
    const back = roundTrip(o);
    expect(decode(back.nested)).toStrictEqual(inner);
    expect(back.after).toBe('still here');
  });

  it('propagates an error thrown by a getter and stays usable afterwards', () => {
    const boom = new Error('getter failed');
    const o = {
      ok: 1,
      get bad(): never {
        throw boom;
      },
    };
    expect(() => encode(o)).toThrow(boom);
    expect(roundTrip({ fine: [1, 2] })).toStrictEqual({ fine: [1, 2] });
  });

  it(`sends values nested ${MAX_DEPTH} levels deep and refuses deeper ones with ERR_TYPE`, () => {
    const nest = (depth: number): unknown => {
      let v: unknown = 'leaf';
      for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { v };
      return v;
    };
    expect(roundTrip(nest(MAX_DEPTH))).toStrictEqual(nest(MAX_DEPTH));
    let thrown: unknown;
    try {
      encode(nest(MAX_DEPTH + 1));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(MPIError);
    expect((thrown as MPIError).errorClass).toBe(ERR_TYPE);
    expect((thrown as MPIError).message).toMatch(
      new RegExp(`^cannot send a value nested more than ${MAX_DEPTH} levels deep at \`value(\\.v|\\[0\\])+…`),
    );
  });
});

describe('encodeParts and viewOf (the codec paths that skip copies)', () => {
  it('encodeParts joined is exactly encode, for any value', () => {
    const values = [
      new Float64Array(5000),
      { a: new Uint8Array(20_000).fill(3), b: [new Int32Array(9000), 'x'] },
      new Float64Array(3),
      1.5,
      [new Uint8Array(17_000), new Uint8Array(0), new Uint8Array(16_384)],
    ];
    for (const v of values) {
      const parts = encodeParts(v);
      const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        joined.set(p, at);
        at += p.length;
      }
      expect(joined).toEqual(encode(v));
    }
    fc.assert(
      fc.property(fc.anything({ withTypedArray: true, maxDepth: 2 }), (v) => {
        const parts = encodeParts(v);
        expect(Buffer.concat(parts)).toEqual(Buffer.from(encode(v)));
      }),
      { numRuns: 200 },
    );
  });

  it('viewOf finds the bytes of a lone TypedArray and nothing else', () => {
    const a = new Float64Array([1, 2, 3]);
    const bytes = encode(a);
    const v = viewOf(bytes)!;
    expect(v.name).toBe('Float64Array');
    expect(new Float64Array(bytes.slice(v.offset, v.offset + v.byteLength).buffer)).toEqual(a);
    expect(viewOf(encode(new DataView(new ArrayBuffer(8))))).toBeUndefined();
    expect(viewOf(encode([a]))).toBeUndefined();
    expect(viewOf(encode(3))).toBeUndefined();
    expect(viewOf(bytes.subarray(0, bytes.length - 1))).toBeUndefined();
  });
});

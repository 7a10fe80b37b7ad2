import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ERR_ARG, ERR_COUNT, ERR_OP, MPIError } from '../../../sdk/base/errors.js';
import { Op } from '../../../sdk/comm/op.js';
import {
  BAND,
  BOR,
  BXOR,
  LAND,
  LOR,
  LXOR,
  MAX,
  MAXLOC,
  MIN,
  MINLOC,
  NO_OP,
  PROD,
  REPLACE,
  SUM,
} from '../../../sdk/comm/predefined-ops.js';
import { reduceInOrder } from '../../../sdk/comm/reduce-in-order.js';

/** Runs `fn`, expecting an MPIError of `errorClass` whose message equals (or matches) `message`. */
function expectMPIError(fn: () => unknown, errorClass: number, message: string | RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(MPIError);
  const err = thrown as MPIError;
  expect(err.errorClass).toBe(errorClass);
  if (typeof message === 'string') expect(err.message).toBe(message);
  else expect(err.message).toMatch(message);
}

const ALL_OPS = { SUM, PROD, MAX, MIN, LAND, LOR, LXOR, BAND, BOR, BXOR, MAXLOC, MINLOC, REPLACE, NO_OP };

describe('predefined ops', () => {
  it('are named after MPI and print their name', () => {
    for (const [name, op] of Object.entries(ALL_OPS)) {
      expect(op).toBeInstanceOf(Op);
      expect(op.name).toBe(name);
      expect(op.toString()).toBe(name);
      expect(`${op}`).toBe(name);
    }
  });

  it('are commutative except REPLACE and NO_OP, as in MPI', () => {
    for (const [name, op] of Object.entries(ALL_OPS)) {
      expect(op.commute, name).toBe(name !== 'REPLACE' && name !== 'NO_OP');
    }
  });

  it('are frozen, so no job can redefine a shared op', () => {
    for (const op of Object.values(ALL_OPS)) expect(Object.isFrozen(op)).toBe(true);
    expect(() => {
      (SUM as { name: string }).name = 'PROD';
    }).toThrow(TypeError);
  });

  it('cannot be constructed directly: ERR_ARG pointing to Op.create', () => {
    expectMPIError(
      () =>
        new Op(
          Symbol('fake'),
          'X',
          true,
          (a) => a,
          () => {},
        ),
      ERR_ARG,
      'Op cannot be constructed directly: use Op.create(fn, commute)',
    );
  });
});

describe('SUM, PROD, MAX, MIN on numbers and bigints', () => {
  it('compute ordinary arithmetic and comparisons on numbers', () => {
    expect(SUM.apply(1, 2)).toBe(3);
    expect(SUM.apply(0.5, -2)).toBe(-1.5);
    expect(PROD.apply(3, -4)).toBe(-12);
    expect(MAX.apply(3, 7)).toBe(7);
    expect(MAX.apply(7, 3)).toBe(7);
    expect(MIN.apply(3, 7)).toBe(3);
    expect(MIN.apply(-Infinity, 3)).toBe(-Infinity);
  });

  it('compute ordinary arithmetic and comparisons on bigints, beyond 2^53', () => {
    const big = 2n ** 80n;
    expect(SUM.apply(big, 1n)).toBe(big + 1n);
    expect(PROD.apply(big, -3n)).toBe(-3n * big);
    expect(MAX.apply(big, -big)).toBe(big);
    expect(MIN.apply(big, -big)).toBe(-big);
  });

  it('MAX and MIN propagate NaN whichever side it is on, and are symmetric on -0 and 0', () => {
    expect(MAX.apply(Number.NaN, 1)).toBeNaN();
    expect(MAX.apply(1, Number.NaN)).toBeNaN();
    expect(MIN.apply(Number.NaN, 1)).toBeNaN();
    expect(MIN.apply(1, Number.NaN)).toBeNaN();
    expect(Object.is(MAX.apply(-0, 0), MAX.apply(0, -0))).toBe(true);
    expect(Object.is(MIN.apply(-0, 0), MIN.apply(0, -0))).toBe(true);
  });

  it('accept numbers and bigints in check', () => {
    for (const op of [SUM, PROD, MAX, MIN]) {
      expect(() => op.check(1.5)).not.toThrow();
      expect(() => op.check(-3n)).not.toThrow();
    }
  });
});

describe('LAND, LOR, LXOR', () => {
  const truthTable = [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const;

  it('follow the truth tables on booleans', () => {
    for (const [x, y] of truthTable) {
      expect(LAND.apply(x, y)).toBe(x && y);
      expect(LOR.apply(x, y)).toBe(x || y);
      expect(LXOR.apply(x, y)).toBe(x !== y);
    }
  });

  it('return booleans from the truthiness of numbers and bigints, even mixed', () => {
    expect(LAND.apply(2, 3)).toBe(true);
    expect(LAND.apply(2, 0)).toBe(false);
    expect(LOR.apply(0, 0)).toBe(false);
    expect(LOR.apply(0, -1)).toBe(true);
    expect(LXOR.apply(5, 7)).toBe(false);
    expect(LXOR.apply(5, 0)).toBe(true);
    expect(LAND.apply(1n, 0n)).toBe(false);
    expect(LOR.apply(0n, 9n)).toBe(true);
    expect(LXOR.apply(1n, 0n)).toBe(true);
    expect(LAND.apply(1, 1n)).toBe(true);
    expect(LOR.apply(false, 2n)).toBe(true);
    expect(LXOR.apply(true, 0)).toBe(true);
  });

  it('treat NaN as false, as JavaScript truthiness does', () => {
    expect(LAND.apply(Number.NaN, 1)).toBe(false);
    expect(LOR.apply(Number.NaN, 0)).toBe(false);
  });
});

describe('BAND, BOR, BXOR', () => {
  it('compute bitwise results on int32 numbers', () => {
    expect(BAND.apply(0b1100, 0b1010)).toBe(0b1000);
    expect(BOR.apply(0b1100, 0b1010)).toBe(0b1110);
    expect(BXOR.apply(0b1100, 0b1010)).toBe(0b0110);
    expect(BAND.apply(-1, 5)).toBe(5);
  });

  it('are exact on integers beyond 32 bits, where JavaScript operators would truncate', () => {
    expect(BAND.apply(0xffffffff, 0xffffffff)).toBe(0xffffffff);
    expect(BOR.apply(2 ** 40, 1)).toBe(2 ** 40 + 1);
    expect(BXOR.apply(Number.MAX_SAFE_INTEGER, 1)).toBe(Number.MAX_SAFE_INTEGER - 1);
    expect(BAND.apply(-(2 ** 40), 2 ** 41 + 2 ** 40)).toBe(2 ** 41 + 2 ** 40);
  });

  it('accept their own results at the edge of the range: -(2^53 - 1) & -2 is -(2^53)', () => {
    const edge = BAND.apply(-Number.MAX_SAFE_INTEGER, -2) as number;
    expect(edge).toBe(-(2 ** 53));
    expect(BOR.apply(edge, 1)).toBe(-(2 ** 53) + 1);
    expect(() => BAND.check(edge)).not.toThrow();
  });

  it('reject 2^53 itself, the first integer past the exact range, on either side', () => {
    expect(BAND.apply(2 ** 53 - 1, 2 ** 53 - 1)).toBe(2 ** 53 - 1);
    expect(() => BAND.check(2 ** 53)).toThrow(MPIError);
    expectMPIError(() => BOR.apply(1, 2 ** 53), ERR_OP, /outside \[-2\^53, 2\^53\)/);
    expectMPIError(
      () => BXOR.apply([2 ** 53], [1]),
      ERR_OP,
      /element 0 is `number` \(9007199254740992\), outside/,
    );
  });

  it('compute bitwise results on bigints of any size', () => {
    const big = 2n ** 100n;
    expect(BAND.apply(big + 3n, big + 6n)).toBe(big + 2n);
    expect(BOR.apply(big, 1n)).toBe(big + 1n);
    expect(BXOR.apply(-1n, big)).toBe(-1n ^ big);
  });

  it('return booleans on booleans, as numpy does', () => {
    expect(BAND.apply(true, false)).toBe(false);
    expect(BAND.apply(true, true)).toBe(true);
    expect(BOR.apply(false, true)).toBe(true);
    expect(BXOR.apply(true, true)).toBe(false);
    expect(BXOR.apply(true, false)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// TypedArrays

type NumericArray = {
  readonly length: number;
  [i: number]: number | bigint;
};
type TypedArrayClass = {
  new (length: number): NumericArray;
  readonly name: string;
};

interface Kind {
  readonly C: TypedArrayClass;
  readonly arb: (n: number) => fc.Arbitrary<NumericArray>;
  readonly float: boolean;
  readonly big: boolean;
}

const len = (n: number) => ({ minLength: n, maxLength: n });
const KINDS: Kind[] = [
  { C: Int8Array, arb: (n) => fc.int8Array(len(n)), float: false, big: false },
  { C: Uint8Array, arb: (n) => fc.uint8Array(len(n)), float: false, big: false },
  { C: Uint8ClampedArray, arb: (n) => fc.uint8ClampedArray(len(n)), float: false, big: false },
  { C: Int16Array, arb: (n) => fc.int16Array(len(n)), float: false, big: false },
  { C: Uint16Array, arb: (n) => fc.uint16Array(len(n)), float: false, big: false },
  { C: Int32Array, arb: (n) => fc.int32Array(len(n)), float: false, big: false },
  { C: Uint32Array, arb: (n) => fc.uint32Array(len(n)), float: false, big: false },
  { C: Float32Array, arb: (n) => fc.float32Array(len(n)), float: true, big: false },
  { C: Float64Array, arb: (n) => fc.float64Array(len(n)), float: true, big: false },
  { C: BigInt64Array, arb: (n) => fc.bigInt64Array(len(n)), float: false, big: true },
  { C: BigUint64Array, arb: (n) => fc.bigUint64Array(len(n)), float: false, big: true },
];

const bool = (x: unknown) => Boolean(x);
/**
 * Reference element results, stored into a fresh array of the operand's class so that storing
 * wraps (or clamps) exactly as the type defines: integer arithmetic is done exactly with BigInt.
 */
const REFERENCE: Record<string, (x: any, y: any, kind: Kind) => number | bigint> = {
  SUM: (x, y, k) => (k.big ? x + y : k.float ? x + y : Number(BigInt(x) + BigInt(y))),
  PROD: (x, y, k) => (k.big ? x * y : k.float ? x * y : Number(BigInt.asUintN(32, BigInt(x) * BigInt(y)))),
  // biome-ignore lint/complexity/useMathMinMax: Math.max throws on bigints
  MAX: (x, y, k) => (k.big ? (x > y ? x : y) : Math.max(x, y)),
  // biome-ignore lint/complexity/useMathMinMax: Math.min throws on bigints
  MIN: (x, y, k) => (k.big ? (x < y ? x : y) : Math.min(x, y)),
  LAND: (x, y, k) => (bool(x) && bool(y) ? (k.big ? 1n : 1) : k.big ? 0n : 0),
  LOR: (x, y, k) => (bool(x) || bool(y) ? (k.big ? 1n : 1) : k.big ? 0n : 0),
  LXOR: (x, y, k) => (bool(x) !== bool(y) ? (k.big ? 1n : 1) : k.big ? 0n : 0),
  BAND: (x, y, k) => (k.big ? x & y : Number(BigInt(x) & BigInt(y))),
  BOR: (x, y, k) => (k.big ? x | y : Number(BigInt(x) | BigInt(y))),
  BXOR: (x, y, k) => (k.big ? x ^ y : Number(BigInt(x) ^ BigInt(y))),
};
const ELEMENTWISE = { SUM, PROD, MAX, MIN, LAND, LOR, LXOR, BAND, BOR, BXOR };
const BITWISE = new Set(['BAND', 'BOR', 'BXOR']);

function pairOfArrays(kind: Kind): fc.Arbitrary<[NumericArray, NumericArray]> {
  return fc.integer({ min: 0, max: 24 }).chain((n) => fc.tuple(kind.arb(n), kind.arb(n)));
}

describe.each(KINDS)('element-wise ops on $C.name', (kind) => {
  const { C } = kind;
  for (const [name, op] of Object.entries(ELEMENTWISE)) {
    if (kind.float && BITWISE.has(name)) continue; // rejected; covered in the rejection tests below
    it(`${name} combines element by element into the right operand, keeping ${C.name}, wrapping like the type`, () => {
      fc.assert(
        fc.property(pairOfArrays(kind), ([a, b]) => {
          const aBefore = Array.from(a as ArrayLike<unknown>);
          const expected = new C(a.length);
          for (let i = 0; i < a.length; i++) expected[i] = REFERENCE[name]!(a[i], b[i], kind);
          const result = op.apply(a, b);
          expect(result).toBe(b);
          expect(result).toBeInstanceOf(C);
          expect(Array.from(result as ArrayLike<unknown>)).toEqual(
            Array.from(expected as ArrayLike<unknown>),
          );
          expect(Array.from(a as ArrayLike<unknown>)).toEqual(aBefore);
        }),
        { numRuns: 60 },
      );
      expect(() => op.check(new C(3))).not.toThrow();
    });
  }

  it('rejects operands of different lengths with ERR_COUNT naming both lengths', () => {
    expectMPIError(
      () => SUM.apply(new C(3), new C(4)),
      ERR_COUNT,
      `SUM combines element by element and needs operands of equal length, got ${C.name} of length 3 and ${C.name} of length 4`,
    );
  });
});

describe('element-wise ops on TypedArrays: edge cases', () => {
  it('SUM wraps integer arrays like C and clamps Uint8ClampedArray', () => {
    expect(Array.from(SUM.apply(new Int8Array([127]), new Int8Array([1])) as Int8Array)).toEqual([-128]);
    expect(
      Array.from(SUM.apply(new Uint32Array([2 ** 32 - 1]), new Uint32Array([2])) as Uint32Array),
    ).toEqual([1]);
    expect(
      Array.from(SUM.apply(new Uint8ClampedArray([200]), new Uint8ClampedArray([100])) as Uint8Array),
    ).toEqual([255]);
  });

  it('PROD keeps the exact low 32 bits of Int32Array products (a float product would not)', () => {
    const a = new Int32Array([0x7fffffff, 123456789]);
    const b = new Int32Array([0x7fffffff, 987654321]);
    const expected = [
      Number(BigInt.asIntN(32, 0x7fffffffn * 0x7fffffffn)),
      Number(BigInt.asIntN(32, 123456789n * 987654321n)),
    ];
    expect(Array.from(PROD.apply(a, b) as Int32Array)).toEqual(expected);
  });

  it('LAND on a Float64Array gives a Float64Array of 1 and 0', () => {
    const r = LAND.apply(new Float64Array([0, 1, 2.5, 0]), new Float64Array([0, 0, -1, 3]));
    expect(r).toBeInstanceOf(Float64Array);
    expect(Array.from(r as Float64Array)).toEqual([0, 0, 1, 0]);
  });

  it('keeps a Node Buffer a Buffer: the result is the right operand itself', () => {
    const b = Buffer.from([1, 2, 3]);
    const r = SUM.apply(Buffer.from([10, 20, 30]), b);
    expect(r).toBe(b);
    expect(Buffer.isBuffer(r)).toBe(true);
    expect(Array.from(b)).toEqual([11, 22, 33]);
  });

  it('combine empty TypedArrays into an empty TypedArray', () => {
    const r = MAX.apply(new Float32Array(0), new Float32Array(0));
    expect(r).toBeInstanceOf(Float32Array);
    expect((r as Float32Array).length).toBe(0);
  });

  it('stay correct where code generation from strings is disallowed (the shared-loop fallback)', async () => {
    vi.resetModules();
    const fresh = await import('../../../sdk/comm/predefined-ops.js');
    const RealFunction = globalThis.Function;
    let attempts = 0;
    vi.stubGlobal('Function', function NoCodegen() {
      attempts++;
      throw new EvalError('Code generation from strings disallowed for this context');
    });
    try {
      expect(
        Array.from(fresh.SUM.apply(new Float64Array([1, 2]), new Float64Array([3, 4])) as Float64Array),
      ).toEqual([4, 6]);
      expect(
        Array.from(fresh.BXOR.apply(new BigInt64Array([6n]), new BigInt64Array([3n])) as BigInt64Array),
      ).toEqual([5n]);
      expect(fresh.MIN.apply([3, 1], [2, 5])).toEqual([2, 1]);
    } finally {
      vi.unstubAllGlobals();
    }
    expect(attempts).toBe(3); // one refused compilation per (op, element type) used above
    expect(globalThis.Function).toBe(RealFunction);
  });
});

describe('element-wise ops on plain arrays', () => {
  it('combine arrays of numbers element by element into the right operand, a plain array', () => {
    const a = [1, 2, 3];
    const b = [10, 20, 30];
    const r = SUM.apply(a, b);
    expect(r).toBe(b);
    expect(r).toEqual([11, 22, 33]);
    expect(a).toEqual([1, 2, 3]);
    expect(PROD.apply([2, 3], [4, 5])).toEqual([8, 15]);
    expect(MAX.apply([1, 9], [5, 2])).toEqual([5, 9]);
    expect(MIN.apply([1, 9], [5, 2])).toEqual([1, 2]);
  });

  it('MAX and MIN on arrays of numbers treat NaN and -0 as they do on scalars', () => {
    // Element by element as `MAX.apply(x, y)`: NaN wins from either side, -0 and 0 symmetric.
    const maxes = MAX.apply([Number.NaN, 1, -0, 0], [1, Number.NaN, 0, -0]) as number[];
    const mins = MIN.apply([Number.NaN, 1, -0, 0], [1, Number.NaN, 0, -0]) as number[];
    expect(maxes.slice(0, 2)).toEqual([Number.NaN, Number.NaN]);
    expect(mins.slice(0, 2)).toEqual([Number.NaN, Number.NaN]);
    expect(Object.is(maxes[2], maxes[3])).toBe(true);
    expect(Object.is(mins[2], mins[3])).toBe(true);
  });

  it('combine arrays of bigints element by element', () => {
    expect(SUM.apply([1n, 2n], [2n ** 70n, 3n])).toEqual([2n ** 70n + 1n, 5n]);
    expect(BAND.apply([6n, 12n], [3n, 10n])).toEqual([2n, 8n]);
  });

  it('give arrays of booleans from logical ops, whatever the element types', () => {
    expect(LAND.apply([1, 0, true, 2n], [1, 1, false, 1])).toEqual([true, false, false, true]);
    expect(LOR.apply([0, 0n], [false, 3])).toEqual([false, true]);
    expect(LXOR.apply([true, true], [true, false])).toEqual([false, true]);
  });

  it('apply bit ops exactly to arrays of integers and of booleans', () => {
    expect(BOR.apply([2 ** 40, 1], [1, 2])).toEqual([2 ** 40 + 1, 3]);
    expect(BXOR.apply([true, false], [true, true])).toEqual([false, true]);
  });

  it('combine empty arrays into an empty array', () => {
    expect(SUM.apply([], [])).toEqual([]);
  });

  it('reject arrays of different lengths with ERR_COUNT naming both lengths', () => {
    expectMPIError(
      () => SUM.apply([1, 2], [1, 2, 3]),
      ERR_COUNT,
      'SUM combines element by element and needs operands of equal length, got Array of length 2 and Array of length 3',
    );
  });

  it('leave the right operand untouched when an element is rejected', () => {
    const b = [1, 2, 'x'];
    expect(() => SUM.apply([1, 2, 3], b)).toThrow(MPIError);
    expect(b).toEqual([1, 2, 'x']);
  });
});

// ---------------------------------------------------------------------------------------------
// MAXLOC / MINLOC

describe('MAXLOC and MINLOC', () => {
  it('pick the pair with the largest (smallest) value', () => {
    expect(MAXLOC.apply([3, 0], [5, 1])).toEqual([5, 1]);
    expect(MAXLOC.apply([5, 0], [3, 1])).toEqual([5, 0]);
    expect(MINLOC.apply([3, 0], [5, 1])).toEqual([3, 0]);
    expect(MINLOC.apply([5, 0], [3, 1])).toEqual([3, 1]);
    expect(MAXLOC.apply([2n ** 70n, 4], [1n, 2])).toEqual([2n ** 70n, 4]);
  });

  it('break ties by the lower index, whichever side it is on', () => {
    expect(MAXLOC.apply([7, 2], [7, 5])).toEqual([7, 2]);
    expect(MAXLOC.apply([7, 5], [7, 2])).toEqual([7, 2]);
    expect(MINLOC.apply([7, 5], [7, 2])).toEqual([7, 2]);
    expect(MINLOC.apply([-1n, 3], [-1n, 1])).toEqual([-1n, 1]);
  });

  it('let NaN win, as MAX and MIN do, with ties among NaNs to the lower index', () => {
    expect(MAXLOC.apply([1, 0], [Number.NaN, 4])).toEqual([Number.NaN, 4]);
    expect(MINLOC.apply([Number.NaN, 4], [1, 0])).toEqual([Number.NaN, 4]);
    expect(MAXLOC.apply([Number.NaN, 4], [Number.NaN, 2])).toEqual([Number.NaN, 2]);
  });

  it('return a new pair, leaving both operands untouched', () => {
    const a: [number, number] = [1, 0];
    const b: [number, number] = [2, 1];
    const r = MAXLOC.apply(a, b);
    expect(r).not.toBe(a);
    expect(r).not.toBe(b);
    expect(a).toEqual([1, 0]);
    expect(b).toEqual([2, 1]);
  });

  it('combine arrays of pairs element-wise', () => {
    expect(
      MAXLOC.apply(
        [
          [1, 0],
          [9, 0],
        ],
        [
          [4, 1],
          [9, 1],
        ],
      ),
    ).toEqual([
      [4, 1],
      [9, 0],
    ]);
    expect(MINLOC.apply([], [])).toEqual([]);
    expectMPIError(
      () => MINLOC.apply([[1, 0]], []),
      ERR_COUNT,
      'MINLOC combines element by element and needs operands of equal length, got Array of length 1 and Array of length 0',
    );
  });

  it('pick the lowest index of the maximum (minimum), in any combining order', () => {
    const values = fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(values, fc.infiniteStream(fc.nat()), (vs, seeds) => {
        const pairs = vs.map((v, i) => [v, i] as [number, number]);
        const max = Math.max(...vs);
        const min = Math.min(...vs);
        expect(reduceInOrder(MAXLOC, pairs)).toEqual([max, vs.indexOf(max)]);
        expect(reduceInOrder(MINLOC, pairs)).toEqual([min, vs.indexOf(min)]);
        // Commutative and associative: combining in a random tree, in random order, changes nothing.
        const picks = seeds[Symbol.iterator]();
        const combineRandomly = (op: Op): unknown => {
          const pool: unknown[] = pairs.slice();
          while (pool.length > 1) {
            const [x] = pool.splice(picks.next().value! % pool.length, 1);
            const j = picks.next().value! % pool.length;
            pool[j] = op.apply(x, pool[j]);
          }
          return pool[0];
        };
        expect(combineRandomly(MAXLOC)).toEqual([max, vs.indexOf(max)]);
        expect(combineRandomly(MINLOC)).toEqual([min, vs.indexOf(min)]);
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// REPLACE / NO_OP

describe('REPLACE and NO_OP', () => {
  const anything = [
    undefined,
    null,
    'text',
    { a: 1 },
    [1, 'x'],
    new Map(),
    Symbol('s'),
    () => 1,
    3,
    4n,
    true,
  ];

  it('REPLACE keeps the right operand and NO_OP the left, for any values', () => {
    for (const a of anything) {
      for (const b of anything) {
        expect(REPLACE.apply(a, b)).toBe(b);
        expect(NO_OP.apply(a, b)).toBe(a);
      }
    }
  });

  it('accept any value in check', () => {
    for (const v of anything) {
      expect(() => REPLACE.check(v)).not.toThrow();
      expect(() => NO_OP.check(v)).not.toThrow();
    }
  });

  it('fold over ranks 0..n-1 in rank order to n-1 (REPLACE) and 0 (NO_OP)', () => {
    const ranks = [0, 1, 2, 3, 4];
    expect(reduceInOrder(REPLACE, ranks)).toBe(4);
    expect(reduceInOrder(NO_OP, ranks)).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// User ops

describe('Op.create', () => {
  it('makes a commutative op by default, named after the function', () => {
    const longest = (a: string, b: string) => (b.length > a.length ? b : a);
    const op = Op.create(longest);
    expect(op).toBeInstanceOf(Op);
    expect(op.commute).toBe(true);
    expect(op.name).toBe('USER(longest)');
    expect(String(op)).toBe('USER(longest)');
    expect(op.apply('ab', 'abc')).toBe('abc');
    expect(Object.isFrozen(op)).toBe(true);
  });

  it('names an anonymous function USER', () => {
    expect(Op.create((a: number, b: number) => a + b).name).toBe('USER');
  });

  it('makes a non-commutative op applied in rank order: v0 op v1 op ... op v(n-1)', () => {
    const concat = Op.create((a: string, b: string) => a + b, false);
    expect(concat.commute).toBe(false);
    expect(concat.apply('a', 'b')).toBe('ab');
    expect(reduceInOrder(concat, ['0', '1', '2', '3'])).toBe('0123');
  });

  it('passes a from the lower ranks and b from the higher, and returns what fn returns', () => {
    const calls: unknown[][] = [];
    const op = Op.create((a, b) => {
      calls.push([a, b]);
      return { combined: [a, b] };
    });
    expect(op.apply(1, 2)).toEqual({ combined: [1, 2] });
    expect(calls).toEqual([[1, 2]]);
  });

  it('lets fn update b in place and return it, mpi4py style', () => {
    const addInto = Op.create((a: Float64Array, b: Float64Array) => {
      for (let i = 0; i < b.length; i++) b[i]! += a[i]!;
      return b;
    });
    const b = new Float64Array([1, 2]);
    expect(addInto.apply(new Float64Array([10, 20]), b)).toBe(b);
    expect(Array.from(b)).toEqual([11, 22]);
    const values = [new Float64Array([1, 1]), new Float64Array([2, 2]), new Float64Array([3, 3])];
    expect(Array.from(reduceInOrder(addInto, values) as Float64Array)).toEqual([6, 6]);
  });

  it('accepts any operand in check', () => {
    const op = Op.create((a) => a);
    for (const v of [undefined, null, 'x', {}, Symbol('s'), [1, 'a']])
      expect(() => op.check(v)).not.toThrow();
  });

  it('propagates what fn throws', () => {
    const op = Op.create(() => {
      throw new RangeError('boom');
    });
    expect(() => op.apply(1, 2)).toThrow(RangeError);
  });

  it('rejects a non-function fn with ERR_ARG naming the argument and the value', () => {
    expectMPIError(
      () => Op.create(42 as unknown as () => unknown),
      ERR_ARG,
      'Expected `fn` to be a function (a, b) => result, got `number` (42)',
    );
    expectMPIError(
      () => Op.create(undefined as unknown as () => unknown),
      ERR_ARG,
      'Expected `fn` to be a function (a, b) => result, got `undefined`',
    );
  });

  it('rejects a non-boolean commute with ERR_ARG naming the argument and the value', () => {
    expectMPIError(
      () => Op.create((a) => a, 'yes' as unknown as boolean),
      ERR_ARG,
      'Expected `commute` to be a boolean, got `string` ("yes")',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Rejections

describe('rejections', () => {
  it('check names the op and the type of an unsupported operand, with ERR_OP', () => {
    const holey: number[] = [1];
    holey[2] = 3; // element 1 is a hole, which reads as undefined
    const cases: [Op, unknown, string][] = [
      [
        SUM,
        'abc',
        'SUM is not defined for `string` ("abc"): expected a number, a bigint, a TypedArray, or an array of numbers or of bigints',
      ],
      [
        MAX,
        null,
        'MAX is not defined for `null`: expected a number, a bigint, a TypedArray, or an array of numbers or of bigints',
      ],
      [
        PROD,
        undefined,
        'PROD is not defined for `undefined`: expected a number, a bigint, a TypedArray, or an array of numbers or of bigints',
      ],
      [
        MIN,
        { x: 1 },
        'MIN is not defined for `Object`: expected a number, a bigint, a TypedArray, or an array of numbers or of bigints',
      ],
      [
        SUM,
        new Map(),
        'SUM is not defined for `Map`: expected a number, a bigint, a TypedArray, or an array of numbers or of bigints',
      ],
      [
        SUM,
        new DataView(new ArrayBuffer(8)),
        'SUM is not defined for `DataView`: expected a number, a bigint, a TypedArray, or an array of numbers or of bigints',
      ],
      [
        SUM,
        true,
        'SUM is not defined for `boolean` (true): use LAND, LOR or LXOR for booleans, or pass numbers',
      ],
      [
        LAND,
        'yes',
        'LAND is not defined for `string` ("yes"): expected a number, a bigint or a boolean, a TypedArray, or an array of those',
      ],
      [
        BOR,
        {},
        'BOR is not defined for `Object`: expected an integer, a bigint or a boolean, an integer TypedArray, or an array of those',
      ],
      [
        BAND,
        new Float64Array(2),
        'BAND is not defined for Float64Array: use an integer TypedArray or bigint',
      ],
      [
        BXOR,
        new Float32Array(2),
        'BXOR is not defined for Float32Array: use an integer TypedArray or bigint',
      ],
      [BAND, 1.5, 'BAND is not defined for `number` (1.5), not an integer: use integers or bigints'],
      [BOR, Number.NaN, 'BOR is not defined for `number` (NaN), not an integer: use integers or bigints'],
      [
        BXOR,
        1e20,
        'BXOR is not defined for `number` (100000000000000000000), outside [-2^53, 2^53), where bit operations on numbers are exact: use integers or bigints',
      ],
      [SUM, [1, 'x'], 'SUM expects an array of numbers or of bigints, but element 1 is `string` ("x")'],
      [
        SUM,
        [1, 2n],
        'SUM expects an array of numbers or of bigints, but element 0 is `number` (1) and element 1 is `bigint` (2n)',
      ],
      [MAX, [true], 'MAX expects an array of numbers or of bigints, but element 0 is `boolean` (true)'],
      [SUM, holey, 'SUM expects an array of numbers or of bigints, but element 1 is `undefined`'],
      [LOR, [0, null], 'LOR expects an array of numbers, bigints or booleans, but element 1 is `null`'],
      [
        BAND,
        [1, 2.5],
        'BAND expects an array of integers, of bigints or of booleans, but element 1 is `number` (2.5), not an integer',
      ],
      [MAXLOC, 3, 'MAXLOC expects a [value, index] pair, got `number` (3)'],
      [MAXLOC, [1, 2, 3], 'MAXLOC expects a [value, index] pair, got `Array` (length 3)'],
      [
        MINLOC,
        ['a', 0],
        'MINLOC expects a [value, index] pair, got a pair whose value is `string` ("a"), not a number or bigint',
      ],
      [
        MINLOC,
        [1, 0.5],
        'MINLOC expects a [value, index] pair, got a pair whose index is `number` (0.5), not an integer',
      ],
      [
        MAXLOC,
        [1, 2n],
        'MAXLOC expects a [value, index] pair, got a pair whose index is `bigint` (2n), not an integer',
      ],
      [MAXLOC, [[1, 0], 7], 'MAXLOC expects an array of [value, index] pairs, but element 1 is `number` (7)'],
      [MAXLOC, new Float64Array(2), 'MAXLOC expects a [value, index] pair, got `Float64Array` (length 2)'],
    ];
    for (const [op, value, message] of cases) {
      expectMPIError(() => op.check(value), ERR_OP, message);
      // apply fails the same way, whichever side the bad operand is on.
      expectMPIError(() => op.apply(value, value), ERR_OP, message);
    }
  });

  it('check prefixes the message with where', () => {
    expectMPIError(
      () => SUM.check('x', 'allreduce'),
      ERR_OP,
      /^allreduce: SUM is not defined for `string` \("x"\)/,
    );
  });

  it('check describes long strings, symbols and functions briefly', () => {
    expectMPIError(
      () => SUM.check('y'.repeat(100)),
      ERR_OP,
      `SUM is not defined for \`string\` ("${'y'.repeat(40)}..."): expected a number, a bigint, a TypedArray, or an array of numbers or of bigints`,
    );
    expectMPIError(() => SUM.check(Symbol('s')), ERR_OP, /^SUM is not defined for `symbol` \(Symbol\(s\)\)/);
    expectMPIError(() => SUM.check(function f() {}), ERR_OP, /^SUM is not defined for `function` \(f\)/);
  });

  it('apply rejects mixing number and bigint operands with ERR_OP, in either order', () => {
    for (const op of [SUM, PROD, MAX, MIN, BAND, BOR, BXOR]) {
      expectMPIError(
        () => op.apply(1, 2n),
        ERR_OP,
        `${op.name} cannot mix number and bigint operands, got \`number\` (1) and \`bigint\` (2n): convert one side with Number() or BigInt()`,
      );
      expectMPIError(() => op.apply(2n, 1), ERR_OP, /cannot mix number and bigint operands/);
    }
    expectMPIError(
      () => MAXLOC.apply([1, 0], [2n, 1]),
      ERR_OP,
      'MAXLOC cannot mix number and bigint values, got [1, 0] and [2n, 1]: convert one side with Number() or BigInt()',
    );
  });

  it('apply rejects a bad right operand even after a good left one', () => {
    expectMPIError(() => SUM.apply(1, 'x'), ERR_OP, /^SUM is not defined for `string` \("x"\)/);
    expectMPIError(() => BAND.apply(1, 0.5), ERR_OP, /^BAND is not defined for `number` \(0\.5\)/);
    expectMPIError(() => MAXLOC.apply([1, 0], [1, -0.5]), ERR_OP, /index is `number` \(-0\.5\)/);
  });

  it('apply rejects operands of different types with ERR_OP naming both', () => {
    expectMPIError(
      () => SUM.apply(new Float64Array(2), new Int32Array(2)),
      ERR_OP,
      'SUM cannot combine `Float64Array` (length 2) with `Int32Array` (length 2): every rank must pass the same type',
    );
    expectMPIError(
      () => SUM.apply(new Float64Array(2), [1, 2]),
      ERR_OP,
      'SUM cannot combine `Float64Array` (length 2) with `Array` (length 2): every rank must pass the same type',
    );
    expectMPIError(
      () => SUM.apply(1, [1]),
      ERR_OP,
      'SUM cannot combine `number` (1) with `Array` (length 1): every rank must pass the same type',
    );
    expectMPIError(
      () => SUM.apply([1, 2], [1n, 2n]),
      ERR_OP,
      'SUM cannot combine an array of numbers with an array of bigints: every rank must pass the same type',
    );
    expectMPIError(
      () => BAND.apply(true, 1),
      ERR_OP,
      'BAND cannot combine `boolean` (true) with `number` (1): every rank must pass the same type',
    );
    expectMPIError(
      () => MAXLOC.apply([1, 0], [[1, 0]]),
      ERR_OP,
      'MAXLOC cannot combine `Array` (length 2) with `Array` (length 1): every rank must pass the same type',
    );
  });

  it('apply reports a type error before a length mismatch', () => {
    expectMPIError(
      () => BAND.apply(new Float64Array(1), new Float64Array(2)),
      ERR_OP,
      /BAND is not defined for Float64Array/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// reduceInOrder

describe('reduceInOrder', () => {
  it('folds left to right: ((v0 op v1) op v2) op v3', () => {
    const op = Op.create((a: unknown, b: unknown) => `(${a} ${b})`, false);
    expect(reduceInOrder(op, [0, 1, 2, 3])).toBe('(((0 1) 2) 3)');
    expect(reduceInOrder(SUM, [7])).toBe(7);
  });

  it('never modifies the values it is given, even for ops that write into b', () => {
    const values = [new Int32Array([1, 2]), new Int32Array([3, 4]), new Int32Array([5, 6])];
    const r = reduceInOrder(SUM, values);
    expect(Array.from(r as Int32Array)).toEqual([9, 12]);
    expect(values.map((v) => Array.from(v))).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
  });

  it('never modifies the values it is given, even for user ops that write into a', () => {
    const append = Op.create((a: number[], b: number[]) => {
      a.push(...b);
      return a;
    }, false);
    const values = [[1], [2], [3]];
    expect(reduceInOrder(append, values)).toEqual([1, 2, 3]);
    expect(values).toEqual([[1], [2], [3]]);
  });

  it('checks every value first, naming its position', () => {
    expectMPIError(
      () => reduceInOrder(SUM, [1, 2, 'x']),
      ERR_OP,
      /^values\[2\]: SUM is not defined for `string`/,
    );
  });

  it('rejects an empty list or a non-Op with ERR_ARG', () => {
    expectMPIError(
      () => reduceInOrder(SUM, []),
      ERR_ARG,
      'Expected `values` to be a non-empty array, got `Array` (length 0)',
    );
    expectMPIError(
      () => reduceInOrder('SUM' as unknown as Op, [1]),
      ERR_ARG,
      'Expected `op` to be an Op (SUM, MAX, Op.create(fn), ...), got `string` ("SUM")',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Algebraic properties

describe('algebraic properties', () => {
  // Sums of three stay exact within +-2^50, so associativity holds exactly.
  const int = fc.integer({ min: -(2 ** 50), max: 2 ** 50 });
  const safe = fc.maxSafeInteger();
  const cases: [Op, fc.Arbitrary<unknown>][] = [
    [SUM, int],
    [MAX, int],
    [MIN, int],
    [SUM, fc.bigInt()],
    [PROD, fc.bigInt()],
    [MAX, fc.double()],
    [MIN, fc.double()],
    [BAND, safe],
    [BOR, safe],
    [BXOR, safe],
    [BAND, fc.bigInt()],
    [LAND, fc.oneof(fc.boolean(), fc.integer(), fc.bigInt())],
    [LOR, fc.oneof(fc.boolean(), fc.integer(), fc.bigInt())],
    [LXOR, fc.oneof(fc.boolean(), fc.integer(), fc.bigInt())],
  ];

  it.each(cases)('%s is associative and commutative (%#)', (op, arb) => {
    fc.assert(
      fc.property(arb, arb, arb, (x, y, z) => {
        expect(op.apply(x, y)).toEqual(op.apply(y, x));
        expect(op.apply(op.apply(x, y), z)).toEqual(op.apply(x, op.apply(y, z)));
      }),
    );
  });

  it('bit ops on safe integers agree with BigInt arithmetic', () => {
    fc.assert(
      fc.property(safe, safe, (x, y) => {
        expect(BAND.apply(x, y)).toBe(Number(BigInt(x) & BigInt(y)));
        expect(BOR.apply(x, y)).toBe(Number(BigInt(x) | BigInt(y)));
        expect(BXOR.apply(x, y)).toBe(Number(BigInt(x) ^ BigInt(y)));
      }),
    );
  });

  it('element-wise SUM over arrays equals the scalar SUM of each position', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 10 })
          .chain((n) =>
            fc.array(fc.array(int, { minLength: n, maxLength: n }), { minLength: 1, maxLength: 6 }),
          ),
        (arrays) => {
          const n = arrays[0]!.length;
          const expected = Array.from({ length: n }, (_, i) => arrays.reduce((s, arr) => s + arr[i]!, 0));
          expect(reduceInOrder(SUM, arrays)).toEqual(expected);
          const typed = arrays.map((arr) => Float64Array.from(arr));
          expect(Array.from(reduceInOrder(SUM, typed) as Float64Array)).toEqual(expected);
        },
      ),
    );
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

import { bitKernel, combine, type Elementwise, elementwise, elementwiseOp } from './elementwise.js';
import { locOp } from './loc-op.js';
import { acceptAnything, type Op, predefinedOp } from './op.js';

/*
 * The predefined ops, every one defined here: the element-wise ones by their kernels (with the
 * common case inlined in `apply`), MAXLOC/MINLOC, REPLACE and NO_OP.
 */

const add = (x: any, y: any): any => x + y;
const mul = (x: any, y: any): any => x * y;
const maxBig = (x: bigint, y: bigint) => (x > y ? x : y);
const minBig = (x: bigint, y: bigint) => (x < y ? x : y);

const SUM_SPEC = elementwise('SUM', 'arith', {
  num: add,
  big: add,
  bool: undefined,
  int: add,
  float: add,
  bigElem: add,
});
const PROD_SPEC = elementwise('PROD', 'arith', {
  num: mul,
  big: mul,
  bool: undefined,
  // The low 32 bits of the exact product: a float product of two int32s loses them above 2^53.
  int: Math.imul,
  float: mul,
  bigElem: mul,
});
const MAX_SPEC = elementwise('MAX', 'arith', {
  num: Math.max, // propagates NaN and is commutative on -0/0, unlike a ternary
  big: maxBig,
  bool: undefined,
  int: Math.max,
  float: Math.max,
  bigElem: maxBig,
});
const MIN_SPEC = elementwise('MIN', 'arith', {
  num: Math.min,
  big: minBig,
  bool: undefined,
  int: Math.min,
  float: Math.min,
  bigElem: minBig,
});

function logic(name: string, bool: (x: boolean, y: boolean) => boolean): Elementwise {
  const truthy = (x: unknown, y: unknown) => bool(Boolean(x), Boolean(y));
  const numeric = (x: unknown, y: unknown) => (bool(Boolean(x), Boolean(y)) ? 1 : 0);
  const bigint = (x: bigint, y: bigint) => (bool(x !== 0n, y !== 0n) ? 1n : 0n);
  return elementwise(name, 'logic', {
    num: truthy,
    big: truthy,
    bool,
    int: numeric,
    float: numeric,
    bigElem: bigint,
  });
}

const LAND_SPEC = logic('LAND', (x, y) => x && y);
const LOR_SPEC = logic('LOR', (x, y) => x || y);
const LXOR_SPEC = logic('LXOR', (x, y) => x !== y);

const BAND_SPEC = elementwise('BAND', 'bit', {
  num: bitKernel(
    (x, y) => x & y,
    (x, y) => x & y,
  ),
  big: (x, y) => x & y,
  bool: (x, y) => x && y,
  int: (x, y) => x & y,
  float: undefined,
  bigElem: (x, y) => x & y,
});
const BOR_SPEC = elementwise('BOR', 'bit', {
  num: bitKernel(
    (x, y) => x | y,
    (x, y) => x | y,
  ),
  big: (x, y) => x | y,
  bool: (x, y) => x || y,
  int: (x, y) => x | y,
  float: undefined,
  bigElem: (x, y) => x | y,
});
const BXOR_SPEC = elementwise('BXOR', 'bit', {
  num: bitKernel(
    (x, y) => x ^ y,
    (x, y) => x ^ y,
  ),
  big: (x, y) => x ^ y,
  bool: (x, y) => x !== y,
  int: (x, y) => x ^ y,
  float: undefined,
  bigElem: (x, y) => x ^ y,
});

/** Sum; for TypedArrays element by element, wrapping (or clamping, for Uint8ClampedArray) like the element type. */
export const SUM: Op = elementwiseOp(SUM_SPEC, (a, b) =>
  typeof a === 'number' && typeof b === 'number' ? a + b : combine(SUM_SPEC, a, b),
);
/** Product; integer TypedArrays keep the low bits of the exact product, as C does. */
export const PROD: Op = elementwiseOp(PROD_SPEC, (a, b) =>
  typeof a === 'number' && typeof b === 'number' ? a * b : combine(PROD_SPEC, a, b),
);
/** Maximum; NaN wins, as with `Math.max`. */
export const MAX: Op = elementwiseOp(MAX_SPEC, (a, b) =>
  typeof a === 'number' && typeof b === 'number' ? Math.max(a, b) : combine(MAX_SPEC, a, b),
);
/** Minimum; NaN wins, as with `Math.min`. */
export const MIN: Op = elementwiseOp(MIN_SPEC, (a, b) =>
  typeof a === 'number' && typeof b === 'number' ? Math.min(a, b) : combine(MIN_SPEC, a, b),
);
/** Logical and of the operands' truthiness: a boolean for scalars, 1/0 in TypedArrays. */
export const LAND: Op = elementwiseOp(LAND_SPEC, (a, b) =>
  typeof a === 'boolean' && typeof b === 'boolean' ? a && b : combine(LAND_SPEC, a, b),
);
/** Logical or of the operands' truthiness: a boolean for scalars, 1/0 in TypedArrays. */
export const LOR: Op = elementwiseOp(LOR_SPEC, (a, b) =>
  typeof a === 'boolean' && typeof b === 'boolean' ? a || b : combine(LOR_SPEC, a, b),
);
/** Logical exclusive or of the operands' truthiness: a boolean for scalars, 1/0 in TypedArrays. */
export const LXOR: Op = elementwiseOp(LXOR_SPEC, (a, b) =>
  typeof a === 'boolean' && typeof b === 'boolean' ? a !== b : combine(LXOR_SPEC, a, b),
);
/** Bitwise and: exact on integers in [-2^53, 2^53), bigints, booleans and integer TypedArrays. */
export const BAND: Op = elementwiseOp(BAND_SPEC, (a, b) =>
  typeof a === 'number' && typeof b === 'number' && (a | 0) === a && (b | 0) === b
    ? a & b
    : combine(BAND_SPEC, a, b),
);
/** Bitwise or: exact on integers in [-2^53, 2^53), bigints, booleans and integer TypedArrays. */
export const BOR: Op = elementwiseOp(BOR_SPEC, (a, b) =>
  typeof a === 'number' && typeof b === 'number' && (a | 0) === a && (b | 0) === b
    ? a | b
    : combine(BOR_SPEC, a, b),
);
/** Bitwise exclusive or: exact on integers in [-2^53, 2^53), bigints, booleans and integer TypedArrays. */
export const BXOR: Op = elementwiseOp(BXOR_SPEC, (a, b) =>
  typeof a === 'number' && typeof b === 'number' && (a | 0) === a && (b | 0) === b
    ? a ^ b
    : combine(BXOR_SPEC, a, b),
);

/** `[value, index]` of the maximum; ties go to the lower index. Also element-wise on arrays of pairs. */
export const MAXLOC: Op = locOp('MAXLOC', true);
/** `[value, index]` of the minimum; ties go to the lower index. Also element-wise on arrays of pairs. */
export const MINLOC: Op = locOp('MINLOC', false);

/** Keeps the right operand (`reduce(rank, REPLACE)` is `size - 1`); takes any value. Not commutative. */
export const REPLACE: Op = predefinedOp('REPLACE', false, (_a, b) => b, acceptAnything);
/** Keeps the left operand (`reduce(rank, NO_OP)` is `0`); takes any value. Not commutative. */
export const NO_OP: Op = predefinedOp('NO_OP', false, (a) => a, acceptAnything);

/** The predefined ops that work element by element, so an array operand may be cut into segments. */
export const ELEMENTWISE_OPS: ReadonlySet<Op> = new Set([
  SUM,
  PROD,
  MAX,
  MIN,
  LAND,
  LOR,
  LXOR,
  BAND,
  BOR,
  BXOR,
]);

/** The logical ops: their result is the operands' truthiness, whatever the operands are. */
export const LOGIC_OPS: ReadonlySet<Op> = new Set([LAND, LOR, LXOR]);

/**
 * An operand of a logical op as its truth values (booleans for scalars and plain arrays, 1/0 in
 * TypedArrays), in place for arrays: what the op makes of it when it combines it with others,
 * so a reduction over one operand (one rank; rank 0 of a scan) gives what it gives over many.
 */
export function truthOf(own: unknown): unknown {
  return LOR.apply(own, own);
}

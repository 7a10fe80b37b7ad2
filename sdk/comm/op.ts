/**
 * Reduction operations: the predefined MPI ops (`SUM`, `MAX`, `MAXLOC`, ...) and user ops made by
 * `Op.create`. The collectives call `op.check(own)` on every rank before sending anything, then
 * fold operands with `op.apply(lower, higher)`.
 */
import { describeType, shortValue, typeName } from '../base/describe-value.js';
import { ERR_ARG, ERR_COUNT, ERR_OP, MPIError } from '../base/errors.js';
import { typedArrayName } from '../base/typed-array-name.js';

/** A user reduction function: `a` comes from the lower ranks, `b` from the higher ones. */
export type UserFunction = (a: any, b: any) => unknown;

type NumberTypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;
type BigIntTypedArray = BigInt64Array | BigUint64Array;
type AnyTypedArray = NumberTypedArray | BigIntTypedArray;

/** An element-wise loop: `b[i] = k(a[i], b[i])` for every `i`. */
type Loop = (a: ArrayLike<unknown>, b: { length: number; [i: number]: unknown }) => void;

const INTERNAL = Symbol('tsmpi-cloud Op');

/**
 * A reduction operation. Predefined ops are the exported constants (`SUM`, `MAX`, ...); user ops
 * come from `Op.create(fn, commute)`. Ops are frozen and compared by identity.
 *
 * @example
 * const total = await comm.allreduce(comm.rank + 1, SUM);
 * const longest = await comm.allreduce(word, Op.create((a: string, b: string) => (b.length > a.length ? b : a)));
 */
export class Op {
  /** `SUM`, `MAXLOC`, ...; `USER(fnName)` (or `USER`) for user ops. */
  readonly name: string;
  /** Whether `a op b === b op a`; non-commutative ops are applied in rank order. */
  readonly commute: boolean;
  /**
   * Combines two operands, `a` from the lower ranks and `b` from the higher ones, and returns the
   * result. Operands must be private copies: for TypedArrays and plain arrays the predefined
   * element-wise ops write the result into `b` and return `b` (as MPI writes into `inoutbuf`);
   * `a` is never modified. `MAXLOC`/`MINLOC` return new pairs. Throws `MPIError(ERR_OP)` for an
   * unsupported or mismatched operand, `MPIError(ERR_COUNT)` for arrays of different lengths.
   *
   * @example
   * SUM.apply(1, 2); // 3
   * SUM.apply(new Int32Array([1, 2]), new Int32Array([10, 20])); // Int32Array [11, 22], the second operand
   */
  readonly apply: (a: unknown, b: unknown) => unknown;
  readonly #validate: (value: unknown, where: string) => void;

  /** Not for users: predefined ops are the exported constants, user ops come from `Op.create`. */
  constructor(
    token: symbol,
    name: string,
    commute: boolean,
    apply: (a: unknown, b: unknown) => unknown,
    validate: (value: unknown, where: string) => void,
  ) {
    if (token !== INTERNAL) {
      throw new MPIError(ERR_ARG, 'Op cannot be constructed directly: use Op.create(fn, commute)');
    }
    this.name = name;
    this.commute = commute;
    this.apply = apply;
    this.#validate = validate;
    Object.freeze(this);
  }

  /**
   * Throws `MPIError(ERR_OP)` naming the op and the type unless `value` is an operand this op
   * accepts. Every rank calls it on its own operand before sending, so a bad operand fails on every
   * rank instead of leaving some waiting. `where` prefixes the message (e.g. `'allreduce'`).
   *
   * @example
   * BAND.check(new Float64Array(2)); // throws: BAND is not defined for Float64Array: use an integer TypedArray or bigint
   */
  check(value: unknown, where?: string): void {
    this.#validate(value, where ?? '');
  }

  /**
   * A user op. `fn(a, b)` returns the combined value, `a` coming from the lower ranks; it may
   * update `b` in place and return it, as mpi4py user functions do. Its return value is the
   * result, whatever it is. A non-commutative op is applied in rank order
   * (`v0 op v1 op ... op v(n-1)`). User ops accept any operand in `check`.
   *
   * @example
   * const concat = Op.create((a: string, b: string) => a + b, false);
   * await comm.allreduce(String(comm.rank), concat); // '0123' on 4 ranks
   */
  static create(fn: UserFunction, commute = true): Op {
    if (typeof fn !== 'function') {
      throw new MPIError(
        ERR_ARG,
        `Expected \`fn\` to be a function (a, b) => result, got ${describeType(fn)}`,
      );
    }
    if (typeof commute !== 'boolean') {
      throw new MPIError(ERR_ARG, `Expected \`commute\` to be a boolean, got ${describeType(commute)}`);
    }
    const name = fn.name ? `USER(${fn.name})` : 'USER';
    return new Op(INTERNAL, name, commute, (a, b) => fn(a, b), acceptAnything);
  }

  /** The op's name, e.g. `'SUM'`. */
  toString(): string {
    return this.name;
  }
}

/**
 * Folds `values[0] op values[1] op ... op values[n-1]` left to right: the naive reference every
 * reduction collective must agree with. Each value is first checked with `op.check`, then combined
 * as a structured clone (what a rank would receive), so `values` is never modified. Values that
 * cannot be cloned (functions, say) are used as they are.
 *
 * @example
 * reduceInOrder(SUM, [1, 2, 3]); // 6
 * reduceInOrder(REPLACE, [0, 1, 2]); // 2
 */
export function reduceInOrder(op: Op, values: readonly unknown[]): unknown {
  if (!(op instanceof Op)) {
    throw new MPIError(
      ERR_ARG,
      `Expected \`op\` to be an Op (SUM, MAX, Op.create(fn), ...), got ${describeType(op)}`,
    );
  }
  if (!Array.isArray(values) || values.length === 0) {
    throw new MPIError(ERR_ARG, `Expected \`values\` to be a non-empty array, got ${describeType(values)}`);
  }
  for (let i = 0; i < values.length; i++) op.check(values[i], `values[${i}]`);
  let acc = copyOf(values[0]);
  for (let i = 1; i < values.length; i++) acc = op.apply(acc, copyOf(values[i]));
  return acc;
}

function copyOf(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
}

// ---------------------------------------------------------------------------------------------
// Failing with a message

function fail(where: string, message: string, errorClass = ERR_OP): never {
  throw new MPIError(errorClass, where ? `${where}: ${message}` : message);
}

function isBigIntTag(tag: string): boolean {
  return tag === 'BigInt64Array' || tag === 'BigUint64Array';
}

function isFloatTag(tag: string): boolean {
  return tag === 'Float64Array' || tag === 'Float32Array' || tag === 'Float16Array';
}

/**
 * Returns `b[i] = k(a[i], b[i])` loops compiled once per (op, element type). V8 keeps type feedback
 * per compiled function, so a single loop shared by every TypedArray class goes megamorphic once a
 * process has seen more than a few classes (measured: ~35x slower on Float64Array). A function
 * compiled from source has its own feedback: each loop sees one class and one kernel, which V8
 * inlines. The source is a constant; only a sanitized label goes into a comment. Where code
 * generation from strings is disallowed, a shared closure is used: correct, just slower.
 */
function specialize(kernel: (x: any, y: any) => unknown, label: string): Loop {
  const safeLabel = label.replace(/[^\w:]/g, '_');
  try {
    const make = new Function(
      'k',
      `'use strict';\n// tsmpi-cloud reduction loop ${safeLabel}\n` +
        'return function loop(a, b) { for (let i = 0, n = b.length; i < n; i++) b[i] = k(a[i], b[i]); };',
    ) as (k: unknown) => Loop;
    return make(kernel);
  } catch {
    return (a, b) => {
      for (let i = 0, n = b.length; i < n; i++) b[i] = kernel(a[i], b[i]);
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Element-wise ops: SUM PROD MAX MIN LAND LOR LXOR BAND BOR BXOR

type Family = 'arith' | 'logic' | 'bit';

interface Elementwise {
  readonly name: string;
  readonly family: Family;
  /** Scalars and plain-array elements: two numbers (for `bit`, integers in the exact range). */
  readonly num: (x: number, y: number) => number | boolean;
  readonly big: (x: bigint, y: bigint) => bigint | boolean;
  /** Two booleans; `undefined` where booleans are rejected (`arith`). */
  readonly bool: ((x: boolean, y: boolean) => boolean) | undefined;
  /** Elements of integer TypedArrays (the result is stored, so it wraps as C does). */
  readonly int: (x: number, y: number) => number;
  /** Elements of float TypedArrays; `undefined` where they are rejected (`bit`). */
  readonly float: ((x: number, y: number) => number) | undefined;
  /** Elements of BigInt64Array / BigUint64Array. */
  readonly bigElem: (x: bigint, y: bigint) => bigint;
  /** Throws ERR_OP unless `value` is an operand of this op (see `Op.check`). */
  readonly validate: (value: unknown, where: string) => void;
  /** Compiled loops by TypedArray tag or plain-array element kind. */
  readonly loops: Map<string, Loop>;
}

const HINTS: Record<Family, string> = {
  arith: 'expected a number, a bigint, a TypedArray, or an array of numbers or of bigints',
  logic: 'expected a number, a bigint or a boolean, a TypedArray, or an array of those',
  bit: 'expected an integer, a bigint or a boolean, an integer TypedArray, or an array of those',
};

const ARRAY_OF: Record<Family, string> = {
  arith: 'an array of numbers or of bigints',
  logic: 'an array of numbers, bigints or booleans',
  bit: 'an array of integers, of bigints or of booleans',
};

/**
 * Bitwise ops on numbers are exact on integers in [-2^53, 2^53): the 54-bit two's complement
 * range, which holds every safe integer and is closed under AND, OR and XOR (so intermediate
 * results such as `-(2^53 - 1) & -2 === -(2^53)` stay valid operands).
 */
const BIT_MIN = -(2 ** 53);
const BIT_LIMIT = 2 ** 53;

function isBitInteger(x: number): boolean {
  return Number.isInteger(x) && x >= BIT_MIN && x < BIT_LIMIT;
}

function bitNumberProblem(x: number): string {
  return Number.isInteger(x)
    ? 'outside [-2^53, 2^53), where bit operations on numbers are exact'
    : 'not an integer';
}

/** Bit kernel on numbers: int32 operands take the native operator, the rest go exactly through BigInt. */
function bitKernel(
  int32: (x: number, y: number) => number,
  wide: (x: bigint, y: bigint) => bigint,
): (x: number, y: number) => number {
  return (x, y) => ((x | 0) === x && (y | 0) === y ? int32(x, y) : Number(wide(BigInt(x), BigInt(y))));
}

function elementwise(
  name: string,
  family: Family,
  kernels: Omit<Elementwise, 'name' | 'family' | 'validate' | 'loops'>,
): Elementwise {
  const spec: Elementwise = {
    name,
    family,
    ...kernels,
    validate: (value, where) => validateElementwise(spec, value, where),
    loops: new Map(),
  };
  return spec;
}

function loopFor(spec: Elementwise, key: string, kernel: (x: any, y: any) => unknown): Loop {
  let loop = spec.loops.get(key);
  if (loop === undefined) {
    loop = specialize(kernel, `${spec.name}:${key}`);
    spec.loops.set(key, loop);
  }
  return loop;
}

/** Throws ERR_OP naming the op and the type unless `v` is an operand of the element-wise op `spec`. */
function validateElementwise(spec: Elementwise, v: unknown, where: string): void {
  switch (typeof v) {
    case 'number':
      if (spec.family === 'bit' && !isBitInteger(v)) {
        fail(
          where,
          `${spec.name} is not defined for ${describeType(v)}, ${bitNumberProblem(v)}: use integers or bigints`,
        );
      }
      return;
    case 'bigint':
      return;
    case 'boolean':
      if (spec.bool === undefined) {
        fail(
          where,
          `${spec.name} is not defined for ${describeType(v)}: use LAND, LOR or LXOR for booleans, or pass numbers`,
        );
      }
      return;
    case 'object': {
      if (v === null) break;
      const tag = typedArrayName(v);
      if (tag !== undefined) {
        if (spec.float === undefined && isFloatTag(tag)) {
          fail(where, `${spec.name} is not defined for ${tag}: use an integer TypedArray or bigint`);
        }
        return;
      }
      if (Array.isArray(v)) {
        arrayKind(spec, v, where);
        return;
      }
      break;
    }
  }
  fail(where, `${spec.name} is not defined for ${describeType(v)}: ${HINTS[spec.family]}`);
}

/**
 * The element kind of a plain-array operand: `number`, `bigint` or `boolean` (every element of
 * that type), `any` for logical ops (each element a number, bigint or boolean), `empty`. Throws
 * ERR_OP naming the first offending element.
 */
function arrayKind(spec: Elementwise, arr: readonly unknown[], where: string): string {
  const n = arr.length;
  if (n === 0) return 'empty';
  const expected = `${spec.name} expects ${ARRAY_OF[spec.family]}`;
  if (spec.family === 'logic') {
    for (let i = 0; i < n; i++) {
      const t = typeof arr[i];
      if (t !== 'number' && t !== 'bigint' && t !== 'boolean') {
        fail(where, `${expected}, but element ${i} is ${describeType(arr[i])}`);
      }
    }
    return 'any';
  }
  const first = arr[0];
  const kind = typeof first;
  if (!(kind === 'number' || kind === 'bigint' || (kind === 'boolean' && spec.bool !== undefined))) {
    fail(where, `${expected}, but element 0 is ${describeType(first)}`);
  }
  const checkBits = kind === 'number' && spec.family === 'bit';
  for (let i = 0; i < n; i++) {
    const x = arr[i];
    if (typeof x !== kind) {
      const t = typeof x;
      const sameFamily = t === 'number' || t === 'bigint' || (t === 'boolean' && spec.bool !== undefined);
      fail(
        where,
        sameFamily
          ? `${expected}, but element 0 is ${describeType(first)} and element ${i} is ${describeType(x)}`
          : `${expected}, but element ${i} is ${describeType(x)}`,
      );
    }
    if (checkBits && !isBitInteger(x as number)) {
      fail(where, `${expected}, but element ${i} is ${describeType(x)}, ${bitNumberProblem(x as number)}`);
    }
  }
  return kind;
}

/** Throws the reason `a op b` is undefined: a bad operand on its own, else the mismatch. */
function reject(
  spec: { readonly name: string; readonly validate: (v: unknown, where: string) => void },
  a: unknown,
  b: unknown,
): never {
  spec.validate(a, '');
  spec.validate(b, '');
  const ta = typeName(a);
  const tb = typeName(b);
  if ((ta === 'number' && tb === 'bigint') || (ta === 'bigint' && tb === 'number')) {
    fail(
      '',
      `${spec.name} cannot mix number and bigint operands, got ${describeType(a)} and ${describeType(b)}: convert one side with Number() or BigInt()`,
    );
  }
  fail(
    '',
    `${spec.name} cannot combine ${describeType(a)} with ${describeType(b)}: every rank must pass the same type`,
  );
}

function lengthMismatch(
  spec: { readonly name: string },
  a: ArrayLike<unknown>,
  b: ArrayLike<unknown>,
): never {
  fail(
    '',
    `${spec.name} combines element by element and needs operands of equal length, got ${typeName(a)} of length ${a.length} and ${typeName(b)} of length ${b.length}`,
    ERR_COUNT,
  );
}

/** The general path of an element-wise op: anything but the fast path its `apply` inlines. */
function combine(spec: Elementwise, a: unknown, b: unknown): unknown {
  switch (typeof a) {
    case 'number':
      if (typeof b === 'number') {
        if (spec.family === 'bit' && !(isBitInteger(a) && isBitInteger(b))) reject(spec, a, b);
        return spec.num(a, b);
      }
      break;
    case 'bigint':
      if (typeof b === 'bigint') return spec.big(a, b);
      break;
    case 'boolean':
      if (typeof b === 'boolean' && spec.bool !== undefined) return spec.bool(a, b);
      break;
    case 'object': {
      if (a === null || typeof b !== 'object' || b === null) break;
      const tag = typedArrayName(a);
      if (tag !== undefined) {
        if (typedArrayName(b) !== tag) break;
        return combineTyped(spec, tag, a as AnyTypedArray, b as AnyTypedArray);
      }
      if (Array.isArray(a) && Array.isArray(b)) return combineArrays(spec, a, b);
      break;
    }
  }
  if (spec.family === 'logic' && isLogicScalar(a) && isLogicScalar(b)) {
    return spec.bool!(Boolean(a), Boolean(b));
  }
  return reject(spec, a, b);
}

function isLogicScalar(v: unknown): boolean {
  const t = typeof v;
  return t === 'number' || t === 'bigint' || t === 'boolean';
}

function combineTyped(spec: Elementwise, tag: string, a: AnyTypedArray, b: AnyTypedArray): AnyTypedArray {
  let kernel: (x: any, y: any) => unknown;
  if (isBigIntTag(tag)) kernel = spec.bigElem;
  else if (isFloatTag(tag)) kernel = spec.float ?? reject(spec, a, b);
  else kernel = spec.int;
  if (a.length !== b.length) lengthMismatch(spec, a, b);
  loopFor(spec, tag, kernel)(a, b);
  return b;
}

function combineArrays(spec: Elementwise, a: unknown[], b: unknown[]): unknown[] {
  const ka = arrayKind(spec, a, '');
  const kb = arrayKind(spec, b, '');
  if (ka !== kb && ka !== 'empty' && kb !== 'empty') {
    fail(
      '',
      `${spec.name} cannot combine an array of ${ka}s with an array of ${kb}s: every rank must pass the same type`,
    );
  }
  if (a.length !== b.length) lengthMismatch(spec, a, b);
  switch (ka) {
    case 'number':
      loopFor(spec, 'Array:number', spec.num)(a, b);
      break;
    case 'bigint':
      loopFor(spec, 'Array:bigint', spec.big)(a, b);
      break;
    case 'boolean':
      loopFor(spec, 'Array:boolean', spec.bool!)(a, b);
      break;
    case 'any': // logical ops: spec.num takes the truthiness of any element
      loopFor(spec, 'Array:any', spec.num)(a, b);
      break;
  }
  return b;
}

/** An element-wise predefined op whose `apply` inlines the common case and defers the rest. */
function elementwiseOp(spec: Elementwise, fast: (a: unknown, b: unknown) => unknown): Op {
  return new Op(INTERNAL, spec.name, true, fast, spec.validate);
}

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

// ---------------------------------------------------------------------------------------------
// MAXLOC / MINLOC

type Pair = [number | bigint, number];

function isPair(v: unknown): v is Pair {
  if (!Array.isArray(v) || v.length !== 2) return false;
  const t = typeof v[0];
  return (t === 'number' || t === 'bigint') && Number.isSafeInteger(v[1]);
}

/** Why `v` is not a `[value, index]` pair, as "got ..." text. */
function pairProblem(v: unknown): string {
  if (Array.isArray(v) && v.length === 2) {
    const t = typeof v[0];
    if (t !== 'number' && t !== 'bigint')
      return `a pair whose value is ${describeType(v[0])}, not a number or bigint`;
    return `a pair whose index is ${describeType(v[1])}, not an integer`;
  }
  return describeType(v);
}

function validateLoc(name: string, v: unknown, where: string): void {
  if (isPair(v)) return;
  if (Array.isArray(v) && (v.length === 0 || Array.isArray(v[0]))) {
    for (let i = 0; i < v.length; i++) {
      if (!isPair(v[i]))
        fail(
          where,
          `${name} expects an array of [value, index] pairs, but element ${i} is ${pairProblem(v[i])}`,
        );
    }
    return;
  }
  fail(where, `${name} expects a [value, index] pair, got ${pairProblem(v)}`);
}

/**
 * The winning pair, as a new pair. The order is total, so the op is associative and commutative:
 * by value (largest for MAXLOC, smallest for MINLOC), NaN beating every number as it does in
 * MAX/MIN, and on equal values (or two NaNs) the lower index.
 */
function locPair(name: string, max: boolean, a: Pair, b: Pair): Pair {
  const [av, ai] = a;
  const [bv, bi] = b;
  if (typeof av !== typeof bv) {
    fail(
      '',
      `${name} cannot mix number and bigint values, got [${shortValue(av)}, ${ai}] and [${shortValue(bv)}, ${bi}]: convert one side with Number() or BigInt()`,
    );
  }
  let aWins: boolean;
  if (av > bv) aWins = max;
  else if (av < bv) aWins = !max;
  else {
    const aNaN = Number.isNaN(av);
    const bNaN = Number.isNaN(bv);
    aWins = aNaN === bNaN ? ai <= bi : aNaN;
  }
  return aWins ? [av, ai] : [bv, bi];
}

function locOp(name: string, max: boolean): Op {
  const spec = { name, validate: (v: unknown, where: string) => validateLoc(name, v, where) };
  const combineLoc = (a: unknown, b: unknown): unknown => {
    if (isPair(a) && isPair(b)) return locPair(name, max, a, b);
    spec.validate(a, '');
    spec.validate(b, '');
    if (isPair(a) || isPair(b)) reject(spec, a, b);
    const as = a as Pair[];
    const bs = b as Pair[];
    if (as.length !== bs.length) lengthMismatch(spec, as, bs);
    const out = new Array<Pair>(as.length);
    for (let i = 0; i < as.length; i++) out[i] = locPair(name, max, as[i]!, bs[i]!);
    return out;
  };
  return new Op(INTERNAL, name, true, combineLoc, spec.validate);
}

/** `[value, index]` of the maximum; ties go to the lower index. Also element-wise on arrays of pairs. */
export const MAXLOC: Op = locOp('MAXLOC', true);
/** `[value, index]` of the minimum; ties go to the lower index. Also element-wise on arrays of pairs. */
export const MINLOC: Op = locOp('MINLOC', false);

// ---------------------------------------------------------------------------------------------
// REPLACE / NO_OP

function acceptAnything(): void {}

/** Keeps the right operand (`reduce(rank, REPLACE)` is `size - 1`); takes any value. Not commutative. */
export const REPLACE: Op = new Op(INTERNAL, 'REPLACE', false, (_a, b) => b, acceptAnything);
/** Keeps the left operand (`reduce(rank, NO_OP)` is `0`); takes any value. Not commutative. */
export const NO_OP: Op = new Op(INTERNAL, 'NO_OP', false, (a) => a, acceptAnything);

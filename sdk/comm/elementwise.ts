import { describeType } from '../base/describe-value.js';
import { type TypedArray, typedArrayName } from '../codec/typed-array.js';
import { compileLoop, type Loop } from './compile-loop.js';
import { type Op, predefinedOp } from './op.js';
import { failOp, lengthMismatch, rejectOperands } from './operand-errors.js';

/*
 * The machinery of the element-wise ops (SUM PROD MAX MIN LAND LOR LXOR BAND BOR BXOR): operand
 * checks, scalars, plain arrays and TypedArrays, each array kind through a compiled loop.
 */

function isBigIntTag(tag: string): boolean {
  return tag === 'BigInt64Array' || tag === 'BigUint64Array';
}

function isFloatTag(tag: string): boolean {
  return tag === 'Float64Array' || tag === 'Float32Array' || tag === 'Float16Array';
}

type Family = 'arith' | 'logic' | 'bit';

/** An element-wise op: its kernels by operand type, its check, and its compiled loops. */
export interface Elementwise {
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
export function bitKernel(
  int32: (x: number, y: number) => number,
  wide: (x: bigint, y: bigint) => bigint,
): (x: number, y: number) => number {
  return (x, y) => ((x | 0) === x && (y | 0) === y ? int32(x, y) : Number(wide(BigInt(x), BigInt(y))));
}

export function elementwise(
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
    loop = compileLoop(kernel, `${spec.name}:${key}`);
    spec.loops.set(key, loop);
  }
  return loop;
}

/** Throws ERR_OP naming the op and the type unless `v` is an operand of the element-wise op `spec`. */
function validateElementwise(spec: Elementwise, v: unknown, where: string): void {
  switch (typeof v) {
    case 'number':
      if (spec.family === 'bit' && !isBitInteger(v)) {
        failOp(
          where,
          `${spec.name} is not defined for ${describeType(v)}, ${bitNumberProblem(v)}: use integers or bigints`,
        );
      }
      return;
    case 'bigint':
      return;
    case 'boolean':
      if (spec.bool === undefined) {
        failOp(
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
          failOp(where, `${spec.name} is not defined for ${tag}: use an integer TypedArray or bigint`);
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
  failOp(where, `${spec.name} is not defined for ${describeType(v)}: ${HINTS[spec.family]}`);
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
        failOp(where, `${expected}, but element ${i} is ${describeType(arr[i])}`);
      }
    }
    return 'any';
  }
  const first = arr[0];
  const kind = typeof first;
  if (!(kind === 'number' || kind === 'bigint' || (kind === 'boolean' && spec.bool !== undefined))) {
    failOp(where, `${expected}, but element 0 is ${describeType(first)}`);
  }
  const checkBits = kind === 'number' && spec.family === 'bit';
  for (let i = 0; i < n; i++) {
    const x = arr[i];
    if (typeof x !== kind) {
      const t = typeof x;
      const sameFamily = t === 'number' || t === 'bigint' || (t === 'boolean' && spec.bool !== undefined);
      failOp(
        where,
        sameFamily
          ? `${expected}, but element 0 is ${describeType(first)} and element ${i} is ${describeType(x)}`
          : `${expected}, but element ${i} is ${describeType(x)}`,
      );
    }
    if (checkBits && !isBitInteger(x as number)) {
      failOp(where, `${expected}, but element ${i} is ${describeType(x)}, ${bitNumberProblem(x as number)}`);
    }
  }
  return kind;
}

/** The general path of an element-wise op: anything but the fast path its `apply` inlines. */
export function combine(spec: Elementwise, a: unknown, b: unknown): unknown {
  switch (typeof a) {
    case 'number':
      if (typeof b === 'number') {
        if (spec.family === 'bit' && !(isBitInteger(a) && isBitInteger(b))) rejectOperands(spec, a, b);
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
        return combineTyped(spec, tag, a as TypedArray, b as TypedArray);
      }
      if (Array.isArray(a) && Array.isArray(b)) return combineArrays(spec, a, b);
      break;
    }
  }
  if (spec.family === 'logic' && isLogicScalar(a) && isLogicScalar(b)) {
    return spec.bool!(Boolean(a), Boolean(b));
  }
  return rejectOperands(spec, a, b);
}

function isLogicScalar(v: unknown): boolean {
  const t = typeof v;
  return t === 'number' || t === 'bigint' || t === 'boolean';
}

function combineTyped(spec: Elementwise, tag: string, a: TypedArray, b: TypedArray): TypedArray {
  let kernel: (x: any, y: any) => unknown;
  if (isBigIntTag(tag)) kernel = spec.bigElem;
  else if (isFloatTag(tag)) kernel = spec.float ?? rejectOperands(spec, a, b);
  else kernel = spec.int;
  if (a.length !== b.length) lengthMismatch(spec, a, b);
  loopFor(spec, tag, kernel)(a, b);
  return b;
}

function combineArrays(spec: Elementwise, a: unknown[], b: unknown[]): unknown[] {
  const ka = arrayKind(spec, a, '');
  const kb = arrayKind(spec, b, '');
  if (ka !== kb && ka !== 'empty' && kb !== 'empty') {
    failOp(
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
export function elementwiseOp(spec: Elementwise, fast: (a: unknown, b: unknown) => unknown): Op {
  return predefinedOp(spec.name, true, fast, spec.validate);
}

import { describeValue, plural } from '../base/describe-value.js';
import { ERR_ARG, ERR_COUNT, ERR_RANK, ERR_ROOT, ERR_TAG, ERR_TYPE, MPIError } from '../base/errors.js';
import { isTypedArray, type TypedArray } from '../codec/typed-array.js';
import { ANY_SOURCE, ANY_TAG, PROC_NULL, TAG_UB } from './constants.js';
import { IN_PLACE } from './in-place.js';

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** A destination rank: [0, size) or PROC_NULL. */
export function checkDest(dest: unknown, size: number, name = 'dest'): number {
  if (isInt(dest) && ((dest >= 0 && dest < size) || dest === PROC_NULL)) return dest;
  const hint = dest === ANY_SOURCE ? ': ANY_SOURCE is only valid as a source' : '';
  throw new MPIError(
    ERR_RANK,
    `Expected \`${name}\` to be a rank in [0, ${size}) or PROC_NULL, got ${describeValue(dest)}${hint}`,
  );
}

/** A source rank: [0, size), ANY_SOURCE or PROC_NULL. */
export function checkSource(source: unknown, size: number, name = 'source'): number {
  if (isInt(source) && ((source >= 0 && source < size) || source === ANY_SOURCE || source === PROC_NULL))
    return source;
  throw new MPIError(
    ERR_RANK,
    `Expected \`${name}\` to be a rank in [0, ${size}), ANY_SOURCE or PROC_NULL, got ${describeValue(source)}`,
  );
}

export function checkRoot(root: unknown, size: number): number {
  if (isInt(root) && root >= 0 && root < size) return root;
  throw new MPIError(
    ERR_ROOT,
    `Expected \`root\` to be an integer in [0, ${size}), got ${describeValue(root)}`,
  );
}

/** A send tag: [0, TAG_UB]. */
export function checkSendTag(tag: unknown, name = 'tag'): number {
  if (isInt(tag) && tag >= 0 && tag <= TAG_UB) return tag;
  const hint = tag === ANY_TAG ? ': ANY_TAG is only valid when receiving' : '';
  throw new MPIError(
    ERR_TAG,
    `Expected \`${name}\` to be an integer in [0, TAG_UB=${TAG_UB}], got ${describeValue(tag)}${hint}`,
  );
}

/** A receive tag: [0, TAG_UB] or ANY_TAG. */
export function checkRecvTag(tag: unknown, name = 'tag'): number {
  if (isInt(tag) && ((tag >= 0 && tag <= TAG_UB) || tag === ANY_TAG)) return tag;
  throw new MPIError(
    ERR_TAG,
    `Expected \`${name}\` to be an integer in [0, TAG_UB=${TAG_UB}] or ANY_TAG, got ${describeValue(tag)}`,
  );
}

/**
 * The sequence of a lowercase scatter/alltoall: an array, or any TypedArray (as mpi4py takes any
 * sequence, a numpy array too), whose element i goes to rank i as a number (a bigint from a
 * BigInt64Array/BigUint64Array). Returns the values as an array of `size`.
 */
export function checkArrayOfSize(value: unknown, size: number, call: string, name: string): unknown[] {
  let values: unknown[];
  if (Array.isArray(value)) values = value;
  else if (isTypedArray(value)) values = Array.from(value as ArrayLike<number | bigint>);
  else {
    throw new MPIError(
      ERR_ARG,
      `${call}: expected \`${name}\` to be an array or TypedArray of ${size} values (one per rank), got ${describeValue(value)}`,
    );
  }
  if (values.length !== size) {
    throw new MPIError(
      ERR_COUNT,
      `${call}: expected \`${name}\` to have exactly ${plural(size, 'entry', 'entries')} (one per rank), got ${values.length}`,
    );
  }
  return values;
}

export { isTypedArray, type TypedArray };

export function checkBuffer(buf: unknown, call: string, name: string): TypedArray {
  if (isTypedArray(buf)) return buf;
  if (buf === IN_PLACE) {
    throw new MPIError(
      ERR_ARG,
      `${call}: \`IN_PLACE\` is not valid as \`${name}\` of ${call}; pass a TypedArray`,
    );
  }
  throw new MPIError(
    ERR_TYPE,
    `${call}: expected \`${name}\` to be a TypedArray (e.g. Float64Array), got ${describeValue(buf)}; use the lowercase method to send other values`,
  );
}

export function checkInt(v: unknown, name: string, call: string): number {
  if (isInt(v)) return v;
  throw new MPIError(ERR_ARG, `${call}: expected \`${name}\` to be an integer, got ${describeValue(v)}`);
}

import { describeValue, plural } from '../base/describe-value.js';
import { ERR_COUNT, ERR_OP, ERR_TRUNCATE, ERR_TYPE, MPIError } from '../base/errors.js';
import { withArticle } from '../base/typed-array-name.js';
import { decode, encode } from '../codec/codec.js';
import { kindOf } from './buffer-args.js';
import { isTypedArray, type TypedArray } from './check.js';

/** Elements `[at, at + count)` of `buf`, encoded (a copy: `buf` may change once this returns). */
export function encodeBlock(buf: TypedArray, at: number, count: number): Uint8Array {
  return encode(buf.subarray(at, at + count));
}

/**
 * Writes a received block into `dst` at element `at`. `expected` is the count this rank was told
 * to receive (MPI's recvcount): a longer block is ERR_TRUNCATE, a shorter one ERR_COUNT; without
 * it (Scatterv off the root) any block that fits is fine. The elements around it stay as they were.
 */
export function placeBlock(
  dst: TypedArray,
  at: number,
  expected: number | undefined,
  bytes: Uint8Array,
  from: number,
  call: string,
): void {
  placeValue(dst, at, expected, decode(bytes), from, call);
}

/** `placeBlock` of a block already decoded. */
export function placeValue(
  dst: TypedArray,
  at: number,
  expected: number | undefined,
  block: unknown,
  from: number,
  call: string,
): void {
  if (!isTypedArray(block)) {
    throw new MPIError(ERR_TYPE, `${call}: rank ${from} sent ${describeValue(block)}, not a TypedArray`);
  }
  if (kindOf(block) !== kindOf(dst)) {
    throw new MPIError(
      ERR_TYPE,
      `${call}: rank ${from} sent ${withArticle(kindOf(block))} into ${withArticle(kindOf(dst))}: use the same TypedArray type on every rank`,
    );
  }
  const room = expected ?? dst.length - at;
  if (block.length > room) {
    throw new MPIError(
      ERR_TRUNCATE,
      `${call}: rank ${from} sent ${plural(block.length, 'element')}, more than the ${room} this rank receives from it (at element ${at} of a ${dst.length}-element buffer)`,
    );
  }
  if (expected !== undefined && block.length < expected) {
    throw new MPIError(
      ERR_COUNT,
      `${call}: rank ${from} sent ${plural(block.length, 'element')}, this rank expects ${expected}: counts must agree on every rank`,
    );
  }
  copyBlock(dst, at, block);
}

/** Copies `src` into `dst` at element `at` (same kind of element; the caller checked it fits). */
export function copyBlock(dst: TypedArray, at: number, src: TypedArray): void {
  (dst as Uint8Array).set(src as Uint8Array, at);
}

/**
 * Writes a reduction's result (a value, not bytes) into the front of `dst`. The predefined ops
 * return a TypedArray of the operands' kind and length; a user op that returns anything else is
 * ERR_OP, since the result cannot go into the buffer.
 */
export function placeResult(dst: TypedArray, value: unknown, length: number, call: string): void {
  if (!isTypedArray(value) || kindOf(value) !== kindOf(dst) || value.length !== length) {
    throw new MPIError(
      ERR_OP,
      `${call}: the op's result is ${describeValue(value)}${isTypedArray(value) ? ` of ${plural(value.length, 'element')}` : ''}, not a ${kindOf(dst)} of ${plural(length, 'element')}; a user op on buffers must return a TypedArray like its operands`,
    );
  }
  copyBlock(dst, 0, value);
}

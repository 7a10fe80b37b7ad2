import { describeValue, plural } from '../base/describe-value.js';
import { ERR_TRUNCATE, ERR_TYPE, MPIError } from '../base/errors.js';
import { withArticle } from '../base/typed-array-name.js';
import { typedArrayName } from '../codec/typed-array.js';
import { isTypedArray, type TypedArray } from './check.js';

/**
 * Copies `src` into the front of `dst`, byte for byte; the rest of `dst` is left as it was.
 * Both must be the same kind of TypedArray, told by the internal slot (never `constructor`,
 * which anyone can overwrite).
 */
export function copyInto(dst: TypedArray, src: TypedArray, call: string): void {
  copyBytesInto(dst, new Uint8Array(src.buffer, src.byteOffset, src.byteLength), typedArrayName(src)!, call);
}

/**
 * `copyInto` for the bytes of a TypedArray of kind `srcKind` that are still in their frame (the
 * receive path that skips decoding, see the codec's `viewOf`).
 */
export function copyBytesInto(dst: TypedArray, bytes: Uint8Array, srcKind: string, call: string): void {
  if (bytes.byteLength > dst.byteLength) {
    const perElement =
      (globalThis as unknown as Record<string, { BYTES_PER_ELEMENT?: number } | undefined>)[srcKind]
        ?.BYTES_PER_ELEMENT ?? 1;
    throw new MPIError(
      ERR_TRUNCATE,
      `${call}: message of ${plural(bytes.byteLength / perElement, 'element')} (${plural(bytes.byteLength, 'byte')}) does not fit the receive buffer of ${plural(dst.length, 'element')} (${plural(dst.byteLength, 'byte')})`,
    );
  }
  const dstKind = typedArrayName(dst);
  if (srcKind !== dstKind) {
    throw new MPIError(
      ERR_TYPE,
      `${call}: received ${withArticle(srcKind)} into ${withArticle(dstKind ?? 'TypedArray')}: use the same TypedArray type on both sides`,
    );
  }
  new Uint8Array(dst.buffer, dst.byteOffset, bytes.byteLength).set(bytes);
}

/** A received value as a buffer: uppercase methods only accept what an uppercase method sent. */
export function asBuffer(v: unknown, call: string): TypedArray {
  if (isTypedArray(v)) return v;
  throw new MPIError(
    ERR_TYPE,
    `${call}: the message holds ${describeValue(v)}, not a TypedArray: the sender used a lowercase method`,
  );
}

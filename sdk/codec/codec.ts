/**
 * The codec: values <-> bytes, for everything one rank sends another.
 *
 * The byte format is our own (versioned, little-endian, the same on every Node major; never
 * `v8.serialize`) and is specified at the top of format.ts. In short: a version byte, then the
 * value as tag + payload; objects get reference ids in write order, so shared references and cycles
 * come back with their identity; TypedArrays, DataViews and ArrayBuffers are a header plus one
 * bulk copy of their bytes.
 *
 * What is sent is what structured clone would send, with these differences:
 * - each TypedArray or DataView is copied on its own: the receiver's view owns a fresh ArrayBuffer of
 *   exactly its length, so views that shared a buffer no longer do;
 * - a view backed by a SharedArrayBuffer is copied like any other; a bare SharedArrayBuffer is refused;
 * - properties of an array other than its indices are not sent (holes are: one byte each);
 * - an Error keeps its name even when it is not one of the built-in error names, and keeps its own
 *   enumerable properties (an MPIError's `errorClass`, say); it is revived as the built-in error
 *   class of that name, or as `Error`.
 */
import { describeType } from '../base/describe-value.js';
import { ERR_ARG, MPIError } from '../base/errors.js';
import { Decoder, topLevelView } from './decoder.js';
import { Encoder } from './encoder.js';
import { isTypedArray, type TypedArray, typedArrayName } from './typed-array.js';

export { isTypedArray, type TypedArray };

const encoder = new Encoder();
const decoder = new Decoder();

/**
 * Serializes any structured-cloneable value into a fresh Uint8Array.
 *
 * Throws `MPIError(ERR_TYPE)` for what cannot be sent (functions, symbols, Promises, WeakMaps, ...)
 * naming it and where it is in the value. Errors thrown by getters read along the way propagate.
 *
 * @example
 * const bytes = encode({ step: 3, field: new Float64Array(1024) });
 */
export function encode(value: unknown): Uint8Array {
  // A getter read during encoding may itself call encode: it gets an encoder of its own.
  return (encoder.busy ? new Encoder() : encoder).encode(value);
}

/**
 * `encode(value)` as pieces to write one after another, without copying large binary payloads:
 * pieces of 16 KiB or more may be views of `value`'s own memory, so copy them (or finish with
 * them) before the caller can modify `value`.
 *
 * @example
 * const parts = encodeParts(new Float64Array(1 << 17)); // [header, view of the array's bytes]
 */
export function encodeParts(value: unknown): Uint8Array[] {
  return (encoder.busy ? new Encoder() : encoder).encodeParts(value);
}

/**
 * Where the element bytes of a message that is a single TypedArray lie, without copying them:
 * `undefined` for any other message (decode it then). Checks nothing beyond the header. `bytes`
 * may be only the first bytes of a message of `total` bytes (its header must be in them).
 *
 * @example
 * const v = viewOf(bytes); // { name: 'Float64Array', offset: 4, byteLength: 8192 }
 */
export function viewOf(
  bytes: Uint8Array,
  total = bytes.length,
): { name: string; offset: number; byteLength: number } | undefined {
  return topLevelView(bytes, total);
}

/**
 * Reads bytes made by `encode` back into a fresh deep copy of the value. Safe on untrusted input:
 * it never runs code and fails only with `MPIError` — `ERR_OTHER` ("corrupt message: ...") for bytes
 * that are not a valid message.
 *
 * @example
 * const { step, field } = decode(bytes) as { step: number; field: Float64Array };
 */
export function decode(bytes: Uint8Array): unknown {
  if (typedArrayName(bytes) !== 'Uint8Array') {
    throw new MPIError(ERR_ARG, `Expected \`bytes\` to be a Uint8Array, got ${describeType(bytes)}`);
  }
  // A subclass (Buffer) could change what slice() returns; read through a plain view.
  const plain =
    Object.getPrototypeOf(bytes) === Uint8Array.prototype
      ? bytes
      : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return decoder.decode(plain);
}

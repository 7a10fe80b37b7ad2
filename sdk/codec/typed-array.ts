import { DATAVIEW_KIND, VIEW_NAMES, type ViewName } from './format.js';

/**
 * Every TypedArray type. `Float16Array` is not listed because the TypeScript library this project
 * targets does not declare it; at run time it is handled wherever `globalThis` has it (Node >= 24).
 */
export type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/**
 * `%TypedArray%.prototype[Symbol.toStringTag]` reads the internal slot, so it names the real kind
 * of any TypedArray (subclasses such as Buffer included) and is `undefined` for anything else.
 * Unlike `constructor` or `instanceof` it cannot be spoofed.
 */
const typedArrayTag = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype) as object,
  Symbol.toStringTag,
)!.get! as (this: unknown) => string | undefined;

/** The kind of TypedArray `v` is (`'Float64Array'`, ...), or undefined when it is none. */
export function typedArrayName(v: unknown): string | undefined {
  return typedArrayTag.call(v);
}

/**
 * True when `v` is a TypedArray of any kind (not a DataView).
 *
 * @example
 * isTypedArray(new Float64Array(4)) // true
 * isTypedArray(new DataView(new ArrayBuffer(4))) // false
 */
export function isTypedArray(v: unknown): v is TypedArray {
  return typedArrayTag.call(v) !== undefined;
}

/** The constructor of each view kind, `undefined` where this runtime lacks it (Float16Array). */
export type ViewConstructor = new (buffer: ArrayBuffer) => ArrayBufferView;

const globals = globalThis as unknown as Record<string, ViewConstructor | undefined>;

export const VIEW_CONSTRUCTORS: readonly (ViewConstructor | undefined)[] = VIEW_NAMES.map(
  (name) => globals[name],
);

const KIND_BY_NAME: Record<string, number> = Object.fromEntries(VIEW_NAMES.map((name, kind) => [name, kind]));

/** The VIEW kind code of `view`: its TypedArray kind, or DATAVIEW_KIND. */
export function viewKind(view: ArrayBufferView): number {
  const name = typedArrayTag.call(view);
  return name === undefined ? DATAVIEW_KIND : KIND_BY_NAME[name as ViewName]!;
}

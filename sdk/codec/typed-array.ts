import { typedArrayName } from '../base/typed-array-name.js';
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

export { typedArrayName };

/**
 * True when `v` is a TypedArray of any kind (not a DataView).
 *
 * @example
 * isTypedArray(new Float64Array(4)) // true
 * isTypedArray(new DataView(new ArrayBuffer(4))) // false
 */
export function isTypedArray(v: unknown): v is TypedArray {
  return typedArrayName(v) !== undefined;
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
  const name = typedArrayName(view);
  return name === undefined ? DATAVIEW_KIND : KIND_BY_NAME[name as ViewName]!;
}

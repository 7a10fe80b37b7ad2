/**
 * `%TypedArray%.prototype[Symbol.toStringTag]` reads the internal slot, so it names the real kind
 * of any TypedArray (subclasses such as Buffer included) and is `undefined` for anything else.
 * Unlike `constructor` or `instanceof` it cannot be spoofed.
 */
const typedArrayTag = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype) as object,
  Symbol.toStringTag,
)!.get! as (this: unknown) => string | undefined;

/**
 * The kind of TypedArray `v` is (`'Float64Array'`, ...), or undefined when it is none.
 *
 * @example
 * typedArrayName(Buffer.from('x')) // 'Uint8Array'
 */
export function typedArrayName(v: unknown): string | undefined {
  return typedArrayTag.call(v);
}

/**
 * A TypedArray kind with its article, for messages: `an Int32Array`, `a Float64Array`.
 *
 * @example
 * withArticle('Int8Array') // 'an Int8Array'
 */
export function withArticle(kind: string): string {
  return `${/^[AEIO]/.test(kind) ? 'an' : 'a'} ${kind}`; // `Uint` is said "you-int"
}

/** JSON for results: bigints as strings, TypedArrays as arrays, Maps/Sets as arrays, undefined as null. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v === undefined) return null;
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      return Array.from(v as unknown as ArrayLike<number | bigint>, (x) =>
        typeof x === 'bigint' ? x.toString() : x,
      );
    }
    if (v instanceof Map) return [...v.entries()];
    if (v instanceof Set) return [...v.values()];
    return v;
  });
}

/**
 * JSON for results: bigints as strings, TypedArrays as arrays, Maps/Sets as arrays, Errors as
 * `{ name, message, ... }`, undefined as null. A value that contains itself (a job may return one: results are structured clones) gets
 * `"[Circular]"` where it would repeat an enclosing object, as `util.inspect` marks it; an object
 * that is only shared, not enclosing, is written at each place.
 */
export function toJson(value: unknown): string {
  const enclosing: object[] = [];
  return JSON.stringify(value, function (this: unknown, _key, v: unknown) {
    // JSON.stringify calls the replacer with `this` = the object holding `v`: what is enclosing
    // `v` is that holder and its own enclosing objects, so drop deeper ones first.
    if (this !== undefined && this !== null && typeof this === 'object') {
      const at = enclosing.lastIndexOf(this);
      if (at >= 0) enclosing.length = at + 1;
    }
    if (typeof v === 'bigint') return v.toString();
    if (v === undefined) return null;
    if (v === null || typeof v !== 'object') return v;
    if (enclosing.includes(v)) return '[Circular]';
    let out: unknown = v;
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      out = Array.from(v as unknown as ArrayLike<number | bigint>, (x) =>
        typeof x === 'bigint' ? x.toString() : x,
      );
    } else if (v instanceof Error) {
      // Its name and message are not own enumerable properties: JSON would print `{}`.
      out = { ...v, name: v.name, message: v.message };
    } else if (v instanceof Map) out = [...v.entries()];
    else if (v instanceof Set) out = [...v.values()];
    // JSON.stringify walks `out` next (its members come with `this` = `out`), standing for `v`:
    // both enclose what is inside, `out` last so that truncating to it keeps `v`.
    enclosing.push(v);
    if (out !== v) enclosing.push(out as object);
    return out;
  });
}

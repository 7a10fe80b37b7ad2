/**
 * How a bad value appears in an error message, so every message of the package shows values the
 * same way: `` `9` (number) ``, `` `"abc"` (string) ``, `` `array of length 3` (array) ``.
 */
import { typedArrayName } from './typed-array-name.js';

/** Longest shown text of a value before it is cut with `...`. */
const MAX_SHOWN = 60;

/**
 * `` `9` (number) ``: the value (strings quoted, long text cut) and its type.
 *
 * @example
 * throw new TypeError(`Expected \`root\` to be an integer in [0, 8), got ${describeValue(9.5)}`);
 */
export function describeValue(value: unknown): string {
  let s: string;
  if (typeof value === 'string') s = JSON.stringify(value);
  else if (typeof value === 'bigint') s = `${value}n`;
  else if (typeof value === 'function') s = `[function ${value.name || 'anonymous'}]`;
  else if (typeof value === 'symbol') s = value.toString();
  else if (Array.isArray(value)) s = `array of length ${value.length}`;
  else if (value !== null && typeof value === 'object') s = safeConstructorName(value) ?? 'object';
  else s = String(value);
  if (s.length > MAX_SHOWN) s = `${s.slice(0, MAX_SHOWN - 3)}...`;
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return `\`${s}\` (${type})`;
}

/** `number`, `bigint`, `Float64Array`, `Array`, `Map`, `null`, ...: the type as a JavaScript programmer names it. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  const t = typeof v;
  if (t !== 'object') return t;
  const tag = typedArrayName(v);
  if (tag !== undefined) return tag;
  if (Array.isArray(v)) return 'Array';
  return safeConstructorName(v as object) ?? 'Object';
}

/**
 * ``\`number\` (3)``, ``\`string\` ("abc")``, ``\`Float64Array\` (length 4)``, ``\`Object\` ``: the type
 * first, for messages about operand types (the reduction ops).
 */
export function describeType(v: unknown): string {
  const shown = shortValue(v);
  return shown === undefined ? `\`${typeName(v)}\`` : `\`${typeName(v)}\` (${shown})`;
}

/** `3`, `"abc"`, `length 4`: a short rendering of a value, `undefined` where only its type says something. */
export function shortValue(v: unknown): string | undefined {
  switch (typeof v) {
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint':
      return `${v}n`;
    case 'boolean':
      return String(v);
    case 'string':
      return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
    case 'symbol':
      return v.toString();
    case 'function':
      return v.name || undefined;
    case 'object':
      if (v === null) return undefined;
      if (typedArrayName(v) !== undefined || Array.isArray(v))
        return `length ${(v as ArrayLike<unknown>).length}`;
      return undefined;
    default:
      return undefined;
  }
}

function safeConstructorName(v: object): string | undefined {
  try {
    const ctor: unknown = Object.getPrototypeOf(v)?.constructor;
    if (typeof ctor === 'function' && ctor.name) return ctor.name;
  } catch {
    // A proxy or an exotic prototype: the caller falls back to a generic name.
  }
  return undefined;
}

/**
 * `1 element`, `3 elements`: a count and its noun, singular for exactly 1, so a message reads
 * right at every count (`many` for a noun that does not take an `s`).
 *
 * @example
 * plural(1, 'element') // '1 element'
 * plural(2, 'entry', 'entries') // '2 entries'
 */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

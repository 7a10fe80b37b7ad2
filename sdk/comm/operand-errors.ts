import { ERR_COUNT, ERR_OP, MPIError } from '../base/errors.js';
import { typedArrayName } from '../codec/typed-array.js';

// What the ops say about operands they cannot combine: the type, the value, what to do.

/** `number`, `bigint`, `Float64Array`, `Array`, `Map`, `null`, ... */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  const t = typeof v;
  if (t !== 'object') return t;
  const tag = typedArrayName(v);
  if (tag !== undefined) return tag;
  if (Array.isArray(v)) return 'Array';
  try {
    const ctor: unknown = Object.getPrototypeOf(v)?.constructor;
    if (typeof ctor === 'function' && ctor.name) return ctor.name;
  } catch {
    // A proxy or an exotic prototype: fall through to the generic name.
  }
  return 'Object';
}

/** ``\`number\` (3)``, ``\`string\` ("abc")``, ``\`Float64Array\` (length 4)``, ``\`undefined\` ``. */
export function describeOperand(v: unknown): string {
  const shown = showValue(v);
  return shown === undefined ? `\`${typeName(v)}\`` : `\`${typeName(v)}\` (${shown})`;
}

export function showValue(v: unknown): string | undefined {
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

/** Throws MPIError(ERR_OP) (or `errorClass`), prefixed with `where` when given. */
export function failOp(where: string, message: string, errorClass = ERR_OP): never {
  throw new MPIError(errorClass, where ? `${where}: ${message}` : message);
}

/** Throws the reason `a op b` is undefined: a bad operand on its own, else the mismatch. */
export function rejectOperands(
  spec: { readonly name: string; readonly validate: (v: unknown, where: string) => void },
  a: unknown,
  b: unknown,
): never {
  spec.validate(a, '');
  spec.validate(b, '');
  const ta = typeName(a);
  const tb = typeName(b);
  if ((ta === 'number' && tb === 'bigint') || (ta === 'bigint' && tb === 'number')) {
    failOp(
      '',
      `${spec.name} cannot mix number and bigint operands, got ${describeOperand(a)} and ${describeOperand(b)}: convert one side with Number() or BigInt()`,
    );
  }
  failOp(
    '',
    `${spec.name} cannot combine ${describeOperand(a)} with ${describeOperand(b)}: every rank must pass the same type`,
  );
}

/** Throws MPIError(ERR_COUNT): element-wise ops need operands of equal length. */
export function lengthMismatch(
  spec: { readonly name: string },
  a: ArrayLike<unknown>,
  b: ArrayLike<unknown>,
): never {
  failOp(
    '',
    `${spec.name} combines element by element and needs operands of equal length, got ${typeName(a)} of length ${a.length} and ${typeName(b)} of length ${b.length}`,
    ERR_COUNT,
  );
}

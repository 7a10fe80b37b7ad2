import { describeType, typeName } from '../base/describe-value.js';
import { ERR_COUNT, ERR_OP, MPIError } from '../base/errors.js';

// What the ops say about operands they cannot combine: the type, the value, what to do.

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
      `${spec.name} cannot mix number and bigint operands, got ${describeType(a)} and ${describeType(b)}: convert one side with Number() or BigInt()`,
    );
  }
  failOp(
    '',
    `${spec.name} cannot combine ${describeType(a)} with ${describeType(b)}: every rank must pass the same type`,
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

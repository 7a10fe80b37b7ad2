import { describeType } from '../base/describe-value.js';
import { ERR_ARG, MPIError } from '../base/errors.js';
import { Op } from './op.js';

/**
 * Folds `values[0] op values[1] op ... op values[n-1]` left to right: the naive reference every
 * reduction collective must agree with. Each value is first checked with `op.check`, then combined
 * as a structured clone (what a rank would receive), so `values` is never modified. Values that
 * cannot be cloned (functions, say) are used as they are.
 *
 * @example
 * reduceInOrder(SUM, [1, 2, 3]); // 6
 * reduceInOrder(REPLACE, [0, 1, 2]); // 2
 */
export function reduceInOrder(op: Op, values: readonly unknown[]): unknown {
  if (!(op instanceof Op)) {
    throw new MPIError(
      ERR_ARG,
      `Expected \`op\` to be an Op (SUM, MAX, Op.create(fn), ...), got ${describeType(op)}`,
    );
  }
  if (!Array.isArray(values) || values.length === 0) {
    throw new MPIError(ERR_ARG, `Expected \`values\` to be a non-empty array, got ${describeType(values)}`);
  }
  for (let i = 0; i < values.length; i++) op.check(values[i], `values[${i}]`);
  let acc = copyOf(values[0]);
  for (let i = 1; i < values.length; i++) acc = op.apply(acc, copyOf(values[i]));
  return acc;
}

function copyOf(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
}

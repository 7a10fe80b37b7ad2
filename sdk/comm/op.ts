/**
 * Reduction operations: the predefined MPI ops (`SUM`, `MAX`, `MAXLOC`, ..., defined in
 * `predefined-ops.ts`) and user ops made by `Op.create`. The collectives call `op.check(own)` on
 * every rank before sending anything, then fold operands with `op.apply(lower, higher)`.
 */

import { describeType } from '../base/describe-value.js';
import { ERR_ARG, MPIError } from '../base/errors.js';

/** A user reduction function: `a` comes from the lower ranks, `b` from the higher ones. */
export type UserFunction = (a: any, b: any) => unknown;

const INTERNAL = Symbol('tsmpi-cloud Op');
/** Ops made by `Op.create`. */
const userOps = new WeakSet<Op>();

/**
 * A reduction operation. Predefined ops are the exported constants (`SUM`, `MAX`, ...); user ops
 * come from `Op.create(fn, commute)`. Ops are frozen and compared by identity.
 *
 * @example
 * const total = await comm.allreduce(comm.rank + 1, SUM);
 * const longest = await comm.allreduce(word, Op.create((a: string, b: string) => (b.length > a.length ? b : a)));
 */
export class Op {
  /** `SUM`, `MAXLOC`, ...; `USER(fnName)` (or `USER`) for user ops. */
  readonly name: string;
  /** Whether `a op b === b op a`; non-commutative ops are applied in rank order. */
  readonly commute: boolean;
  /**
   * Combines two operands, `a` from the lower ranks and `b` from the higher ones, and returns the
   * result. Operands must be private copies: for TypedArrays and plain arrays the predefined
   * element-wise ops write the result into `b` and return `b` (as MPI writes into `inoutbuf`);
   * `a` is never modified. `MAXLOC`/`MINLOC` return new pairs. Throws `MPIError(ERR_OP)` for an
   * unsupported or mismatched operand, `MPIError(ERR_COUNT)` for arrays of different lengths.
   *
   * @example
   * SUM.apply(1, 2); // 3
   * SUM.apply(new Int32Array([1, 2]), new Int32Array([10, 20])); // Int32Array [11, 22], the second operand
   */
  readonly apply: (a: unknown, b: unknown) => unknown;
  readonly #validate: (value: unknown, where: string) => void;

  /** Not for users: predefined ops are the exported constants, user ops come from `Op.create`. */
  constructor(
    token: symbol,
    name: string,
    commute: boolean,
    apply: (a: unknown, b: unknown) => unknown,
    validate: (value: unknown, where: string) => void,
  ) {
    if (token !== INTERNAL) {
      throw new MPIError(ERR_ARG, 'Op cannot be constructed directly: use Op.create(fn, commute)');
    }
    this.name = name;
    this.commute = commute;
    this.apply = apply;
    this.#validate = validate;
    Object.freeze(this);
  }

  /**
   * Throws `MPIError(ERR_OP)` naming the op and the type unless `value` is an operand this op
   * accepts. Every rank calls it on its own operand before sending, so a bad operand fails on every
   * rank instead of leaving some waiting. `where` prefixes the message (e.g. `'allreduce'`).
   *
   * @example
   * BAND.check(new Float64Array(2)); // throws: BAND is not defined for Float64Array: use an integer TypedArray or bigint
   */
  check(value: unknown, where?: string): void {
    this.#validate(value, where ?? '');
  }

  /**
   * A user op. `fn(a, b)` returns the combined value, `a` coming from the lower ranks; it may
   * update `b` in place and return it, as mpi4py user functions do. Its return value is the
   * result, whatever it is. A user op is applied in rank order (`v0 op v1 op ... op v(n-1)`),
   * commutative or not, so `a` always holds lower ranks than `b` (a commutative predefined op may
   * be folded in another order, e.g. from the root of a `reduce`). User ops accept any operand in
   * `check`.
   *
   * @example
   * const concat = Op.create((a: string, b: string) => a + b, false);
   * await comm.allreduce(String(comm.rank), concat); // '0123' on 4 ranks
   */
  static create(fn: UserFunction, commute = true): Op {
    if (typeof fn !== 'function') {
      throw new MPIError(
        ERR_ARG,
        `Expected \`fn\` to be a function (a, b) => result, got ${describeType(fn)}`,
      );
    }
    if (typeof commute !== 'boolean') {
      throw new MPIError(ERR_ARG, `Expected \`commute\` to be a boolean, got ${describeType(commute)}`);
    }
    const name = fn.name ? `USER(${fn.name})` : 'USER';
    const op = new Op(INTERNAL, name, commute, (a, b) => fn(a, b), acceptAnything);
    userOps.add(op);
    return op;
  }

  /** The op's name, e.g. `'SUM'`. */
  toString(): string {
    return this.name;
  }
}

/** Not for users: a predefined op (the constants of `predefined-ops.ts`). */
export function predefinedOp(
  name: string,
  commute: boolean,
  apply: (a: unknown, b: unknown) => unknown,
  validate: (value: unknown, where: string) => void,
): Op {
  return new Op(INTERNAL, name, commute, apply, validate);
}

/** Whether `op` came from `Op.create`. */
export function isUserOp(op: Op): boolean {
  return userOps.has(op);
}

/** The check of ops that take any operand (user ops, REPLACE, NO_OP). */
export function acceptAnything(): void {}

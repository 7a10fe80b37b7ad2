import { describeValue } from '../base/describe-value.js';
import { ERR_ARG, MPIError } from '../base/errors.js';
import { decode, encode } from '../codec/codec.js';
import { NOMINAL_BYTES } from '../collectives/call-shape.js';
import type { ReduceOp } from '../collectives/collective-context.js';
import { isUserOp, Op } from './op.js';
import { ELEMENTWISE_OPS, LOGIC_OPS, truthOf } from './predefined-ops.js';

/** One reduction call's operand, checked and ready for the collective algorithms. */
export interface ReduceOperand<T> {
  op: Op;
  /** The op as the algorithms see it. */
  reduceOp: ReduceOp;
  /** The caller's value, copied when it is an object: reductions may reuse operand storage. */
  own: T;
  /** Payload bytes every rank computes alike, for choosing the algorithm. */
  bytes: number;
}

/**
 * Checks `op` and `obj` of a reduction call (`reduce`, `allreduce`, `scan`, `exscan`) and
 * prepares the operand.
 */
export function reduceOperand<T>(op: unknown, obj: T, call: string): ReduceOperand<T> {
  const o = asOp(op, call);
  o.check(obj);
  const copy = privateCopy(obj);
  const own = LOGIC_OPS.has(o) ? (truthOf(copy) as T) : copy;
  return { op: o, reduceOp: toReduceOp(o), own, bytes: operandBytes(obj, o) };
}

/**
 * `op` as the collective algorithms see it. A user op counts as not commutative whatever it says:
 * the algorithms then fold in rank order, so its `a` always comes from the lower ranks (API.md),
 * where a commutative one would be folded from the root of a `reduce` on.
 */
export function toReduceOp(op: Op): ReduceOp {
  return {
    combine: (a, b) => op.apply(a, b),
    commute: op.commute && !isUserOp(op),
    elementwise: ELEMENTWISE_OPS.has(op),
  };
}

function asOp(op: unknown, call: string): Op {
  if (op instanceof Op) return op;
  throw new MPIError(
    ERR_ARG,
    `${call}: expected \`op\` to be an Op (SUM, MAX, ..., or Op.create(fn)), got ${describeValue(op)}`,
  );
}

/** Reductions may reuse operand storage, so the caller's own object operand is copied first. */
function privateCopy<T>(v: T): T {
  return typeof v === 'object' && v !== null ? (decode(encode(v)) as T) : v;
}

/** Payload bytes every rank can compute alike: only arrays under an element-wise op (equal lengths). */
function operandBytes(value: unknown, op: Op): number {
  if (!ELEMENTWISE_OPS.has(op)) return NOMINAL_BYTES;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (Array.isArray(value)) return value.length * 9;
  return NOMINAL_BYTES;
}

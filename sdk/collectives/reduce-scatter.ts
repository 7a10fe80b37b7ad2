import type { AlgorithmSpec } from './algorithms.js';
import { type CollectiveContext, type ReduceOp, withRadix } from './collective-context.js';
import { naive } from './naive.js';
import { reduce } from './reduce.js';
import { scatter } from './scatter.js';

/**
 * Cuts the reduced value (at rank 0) into one encoded part per rank, in rank order. It must
 * return `size` parts whatever the value is (an error marker if need be), so no rank is left
 * waiting for its part.
 */
export type CutParts = (reduced: unknown) => Uint8Array[];

/**
 * Reduce-scatter as a k-nomial reduce to rank 0 (combining in rank order, so non-commutative ops
 * work) followed by a k-nomial scatter of the parts `cut` makes of the result: 2·ceil(log_k p)
 * hops. Both phases run on one call's channel: the reduce only sends towards the root and the
 * scatter only away from it, so their messages between two ranks never meet.
 */
export async function reduceScatter(
  ctx: CollectiveContext,
  value: unknown,
  op: ReduceOp,
  cut: CutParts,
  radix: number = ctx.radix,
): Promise<Uint8Array> {
  const tree = withRadix(ctx, radix);
  const reduced = await reduce(tree, value, op, 0);
  return scatter(tree, ctx.rank === 0 ? cut(reduced) : null, 0);
}

/**
 * Runs the reduce-scatter a `reduce` algorithm spec names: `linear` is the naive oracle, anything
 * else the k-nomial trees of its radix. Returns this rank's encoded part.
 */
export function runReduceScatter(
  ctx: CollectiveContext,
  spec: AlgorithmSpec,
  value: unknown,
  op: ReduceOp,
  cut: CutParts,
): Promise<Uint8Array> {
  if (spec.name === 'linear') return naive.reduceScatter(ctx, value, op, cut);
  return reduceScatter(ctx, value, op, cut, spec.radix ?? 2);
}

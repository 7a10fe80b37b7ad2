import type { CollectiveContext, ReduceOp } from './collective-context.js';
import { children, effectiveRadix, parent } from './knomial-tree.js';

/**
 * k-nomial reduction. Each node combines its own operand with its children's partial results in
 * increasing relative rank, then sends to its parent. Subtrees are contiguous ranges, so with the
 * tree rooted at rank 0 the combination order is rank order: a non-commutative op is reduced at 0
 * and the result forwarded to the root (one more hop). A commutative op rotates the tree instead.
 */
export async function reduce(
  ctx: CollectiveContext,
  value: unknown,
  op: ReduceOp,
  root: number,
): Promise<unknown | null> {
  const { size, rank } = ctx;
  const treeRoot = op.commute ? root : 0;
  const acc = await reduceToTreeRoot(ctx, value, op, treeRoot);
  if (treeRoot === root) return rank === root ? acc : null;
  if (rank === treeRoot) await ctx.send(root, ctx.encode(acc));
  if (rank === root) return ctx.decode(await ctx.recv(treeRoot));
  void size;
  return null;
}

/** Reduces to `treeRoot`; returns the full result there and the subtree's partial elsewhere. */
export async function reduceToTreeRoot(
  ctx: CollectiveContext,
  value: unknown,
  op: ReduceOp,
  treeRoot: number,
): Promise<unknown> {
  const { size } = ctx;
  const k = effectiveRadix(ctx.radix, size);
  const vr = (ctx.rank - treeRoot + size) % size;
  const kids = children(vr, k, size);
  const incoming = kids.map((c) => ctx.recv((c + treeRoot) % size));
  let acc = value;
  for (const p of incoming) acc = op.combine(acc, ctx.decode(await p));
  if (vr !== 0) await ctx.send((parent(vr, k) + treeRoot) % size, ctx.encode(acc));
  return acc;
}

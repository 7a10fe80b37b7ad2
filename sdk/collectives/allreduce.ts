import { bcast } from './bcast.js';
import type { CollectiveContext, ReduceOp } from './collective-context.js';
import { reduceToTreeRoot } from './reduce.js';

export type AllreduceAlgorithm = 'recursive-doubling' | 'reduce-bcast';

/**
 * Recursive doubling: log2(p) exchange rounds, each rank combining with a partner whose block of
 * ranks is adjacent to its own, lower block on the left — so non-commutative ops stay in rank
 * order. For a non-power-of-two size, the first 2*rem ranks fold pairwise first and get the result
 * back at the end (two extra hops for them).
 */
export async function allreduceRecursiveDoubling(
  ctx: CollectiveContext,
  value: unknown,
  op: ReduceOp,
): Promise<unknown> {
  const { rank, size } = ctx;
  let p2 = 1;
  while (p2 * 2 <= size) p2 *= 2;
  const rem = size - p2;
  let acc = value;
  let newRank: number;
  if (rank < 2 * rem) {
    if (rank % 2 === 0) {
      await ctx.send(rank + 1, ctx.encode(acc));
      newRank = -1;
    } else {
      acc = op.combine(ctx.decode(await ctx.recv(rank - 1)), acc);
      newRank = rank >> 1;
    }
  } else newRank = rank - rem;

  if (newRank >= 0) {
    const toOld = (nr: number) => (nr < rem ? nr * 2 + 1 : nr + rem);
    for (let mask = 1; mask < p2; mask <<= 1) {
      const partner = toOld(newRank ^ mask);
      const [, got] = await Promise.all([ctx.send(partner, ctx.encode(acc)), ctx.recv(partner)]);
      const other = ctx.decode(got);
      acc = (newRank ^ mask) < newRank ? op.combine(other, acc) : op.combine(acc, other);
    }
  }
  if (rank < 2 * rem) {
    if (rank % 2 === 1) await ctx.send(rank - 1, ctx.encode(acc));
    else acc = ctx.decode(await ctx.recv(rank + 1));
  }
  return acc;
}

/** k-nomial reduce to rank 0 followed by a k-nomial broadcast: 2·log_k(p) hops, fewer messages. */
export async function allreduceReduceBcast(
  ctx: CollectiveContext,
  value: unknown,
  op: ReduceOp,
): Promise<unknown> {
  const acc = await reduceToTreeRoot(ctx, value, op, 0);
  const bytes = await bcast(ctx, ctx.rank === 0 ? ctx.encode(acc) : null, 0);
  return ctx.rank === 0 ? acc : ctx.decode(bytes);
}

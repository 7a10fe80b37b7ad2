import { bcast } from './bcast.js';
import { allSent, type CollectiveContext, type ReduceOp, withRadix } from './collective-context.js';
import { foldedToOld, oldToFolded, recursivePlan } from './recursive-plan.js';
import { reduceToTreeRoot } from './reduce.js';

/**
 * Recursive k-ing (recursive doubling at radix 2; a flat all-to-all exchange at radix >= size):
 * rounds of radix <= k in which each rank sends its partial result to the other members of its
 * group and combines what it gets in digit order, which is rank order (see `recursivePlan`). Ranks
 * outside the product of the radices fold into a partner first and get the result back at the end.
 * ceil(log_k p) hops when p is a product of factors <= k; every rank ends with the same value.
 */
export async function allreduceRecursive(
  ctx: CollectiveContext,
  value: unknown,
  op: ReduceOp,
  radix: number,
): Promise<unknown> {
  const { rank, size } = ctx;
  const { rem, radices } = recursivePlan(size, radix);
  let acc = value;
  const nr = oldToFolded(rank, rem);
  if (rank < 2 * rem) {
    if (nr < 0) await ctx.send(rank + 1, ctx.encode(acc));
    else acc = op.combine(ctx.decode(await ctx.recv(rank - 1)), acc);
  }
  if (nr >= 0) {
    let stride = 1;
    for (const r of radices) {
      const digit = Math.floor(nr / stride) % r;
      const base = nr - digit * stride;
      const bytes = ctx.encode(acc);
      const sends: Promise<void>[] = [];
      const recvs: (Promise<Uint8Array> | undefined)[] = [];
      for (let d = 0; d < r; d++) {
        if (d === digit) {
          recvs.push(undefined);
          continue;
        }
        const peer = foldedToOld(base + d * stride, rem);
        sends.push(ctx.send(peer, bytes));
        recvs.push(ctx.recv(peer));
      }
      let combined: unknown;
      for (let d = 0; d < r; d++) {
        const p = recvs[d];
        const v = p === undefined ? acc : ctx.decode(await p);
        combined = d === 0 ? v : op.combine(combined, v);
      }
      await allSent(sends);
      acc = combined;
      stride *= r;
    }
  }
  if (rank < 2 * rem) {
    if (nr >= 0) await ctx.send(rank - 1, ctx.encode(acc));
    else acc = ctx.decode(await ctx.recv(rank + 1));
  }
  return acc;
}

/** Recursive doubling: recursive k-ing at radix 2 (log2(p) exchange rounds). */
export function allreduceRecursiveDoubling(
  ctx: CollectiveContext,
  value: unknown,
  op: ReduceOp,
): Promise<unknown> {
  return allreduceRecursive(ctx, value, op, 2);
}

/**
 * A k-nomial reduce to rank 0 (radix `reduceRadix`) followed by a k-nomial broadcast (radix
 * `bcastRadix`): log_kr(p) + log_kb(p) hops, 2(p-1) messages — the fewest of any allreduce.
 */
export async function allreduceReduceBcast(
  ctx: CollectiveContext,
  value: unknown,
  op: ReduceOp,
  reduceRadix: number = ctx.radix,
  bcastRadix: number = reduceRadix,
): Promise<unknown> {
  const acc = await reduceToTreeRoot(withRadix(ctx, reduceRadix), value, op, 0);
  const bytes = await bcast(withRadix(ctx, bcastRadix), ctx.rank === 0 ? ctx.encode(acc) : null, 0);
  return ctx.rank === 0 ? acc : ctx.decode(bytes);
}

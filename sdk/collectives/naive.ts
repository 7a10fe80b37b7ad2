import type { CollectiveContext, ReduceOp } from './collective-context.js';

/**
 * Linear versions of every collective: the root talks to each rank in turn. Slow (p-1 sequential
 * messages at the root) but obviously right, so the tests use them as oracles for the trees.
 */
export const naive = {
  async bcast(ctx: CollectiveContext, bytes: Uint8Array | null, root: number): Promise<Uint8Array> {
    if (ctx.rank !== root) return ctx.recv(root);
    for (let r = 0; r < ctx.size; r++) if (r !== root) await ctx.send(r, bytes!);
    return bytes!;
  },

  async reduce(ctx: CollectiveContext, value: unknown, op: ReduceOp, root: number): Promise<unknown | null> {
    if (ctx.rank !== root) {
      await ctx.send(root, ctx.encode(value));
      return null;
    }
    let acc: unknown;
    for (let r = 0; r < ctx.size; r++) {
      const v = r === root ? ctx.decode(ctx.encode(value)) : ctx.decode(await ctx.recv(r));
      acc = r === 0 ? v : op.combine(acc, v);
    }
    return acc;
  },

  async allreduce(ctx: CollectiveContext, value: unknown, op: ReduceOp): Promise<unknown> {
    const acc = await naive.reduce(ctx, value, op, 0);
    return ctx.decode(await naive.bcast(ctx, ctx.rank === 0 ? ctx.encode(acc) : null, 0));
  },

  async gather(ctx: CollectiveContext, mine: Uint8Array, root: number): Promise<Uint8Array[] | null> {
    if (ctx.rank !== root) {
      await ctx.send(root, mine);
      return null;
    }
    const out: Uint8Array[] = [];
    for (let r = 0; r < ctx.size; r++) out.push(r === root ? mine : await ctx.recv(r));
    return out;
  },

  async scatter(ctx: CollectiveContext, parts: Uint8Array[] | null, root: number): Promise<Uint8Array> {
    if (ctx.rank !== root) return ctx.recv(root);
    for (let r = 0; r < ctx.size; r++) if (r !== root) await ctx.send(r, parts![r]!);
    return parts![root]!;
  },

  async allgather(ctx: CollectiveContext, mine: Uint8Array): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (let root = 0; root < ctx.size; root++)
      out.push(await naive.bcast(ctx, ctx.rank === root ? mine : null, root));
    return out;
  },

  async alltoall(ctx: CollectiveContext, parts: Uint8Array[]): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (let root = 0; root < ctx.size; root++)
      out.push(await naive.scatter(ctx, ctx.rank === root ? parts : null, root));
    return out;
  },

  async barrier(ctx: CollectiveContext): Promise<void> {
    await naive.allreduce(ctx, 0, { combine: (a) => a, commute: true });
  },

  /** Linear reduce to rank 0, then linear scatter of the parts `cut` makes of the result. */
  async reduceScatter(
    ctx: CollectiveContext,
    value: unknown,
    op: ReduceOp,
    cut: (reduced: unknown) => Uint8Array[],
  ): Promise<Uint8Array> {
    const reduced = await naive.reduce(ctx, value, op, 0);
    return naive.scatter(ctx, ctx.rank === 0 ? cut(reduced) : null, 0);
  },

  /** Linear chain: rank r receives the prefix from r-1 and passes its own on. */
  async scanBoth(
    ctx: CollectiveContext,
    value: unknown,
    op: ReduceOp,
  ): Promise<{ inclusive: unknown; exclusive: unknown | undefined }> {
    let exclusive: unknown | undefined;
    let inclusive = value;
    if (ctx.rank > 0) {
      exclusive = ctx.decode(await ctx.recv(ctx.rank - 1));
      inclusive = op.combine(ctx.decode(ctx.encode(exclusive)), value);
    }
    if (ctx.rank < ctx.size - 1) await ctx.send(ctx.rank + 1, ctx.encode(inclusive));
    return { inclusive, exclusive };
  },
};

import type { CollectiveContext, ReduceOp } from './collective-context.js';

/**
 * Hillis–Steele scan: in round d every rank sends its partial result to rank + 2^d and combines what
 * it receives from rank - 2^d on its left (that block covers lower ranks, so order is kept for
 * non-commutative ops). log2(p) rounds. Returns the inclusive and the exclusive prefix.
 */
export async function scanBoth(
  ctx: CollectiveContext,
  value: unknown,
  op: ReduceOp,
): Promise<{ inclusive: unknown; exclusive: unknown | undefined }> {
  const { rank, size } = ctx;
  let incl = value;
  let excl: unknown | undefined;
  let hasExcl = false;
  for (let dist = 1; dist < size; dist *= 2) {
    const ops: Promise<unknown>[] = [];
    if (rank + dist < size) ops.push(ctx.send(rank + dist, ctx.encode(incl)));
    let got: Promise<Uint8Array> | undefined;
    if (rank - dist >= 0) got = ctx.recv(rank - dist);
    await Promise.all(ops);
    if (got !== undefined) {
      // Decode twice: an op may reuse its operands' storage for its result.
      const bytes = await got;
      excl = hasExcl ? op.combine(ctx.decode(bytes), excl) : ctx.decode(bytes);
      hasExcl = true;
      incl = op.combine(ctx.decode(bytes), incl);
    }
  }
  return { inclusive: incl, exclusive: hasExcl ? excl : undefined };
}

import { allSent, type CollectiveContext, type ReduceOp } from './collective-context.js';

/**
 * Hillis–Steele scan with k ports: in the round of distance D (1, k, k², ...) every rank sends its
 * inclusive partial to ranks + jD and combines what ranks - jD send (j = 1..k-1). Those cover the
 * lower ranks just below the block it holds, in order, so non-commutative ops stay in rank order.
 * ceil(log_k p) rounds; radix 2 is the classic scan, radix >= p the flat one (one hop, every rank
 * sends to every higher rank). Returns the inclusive and the exclusive prefix.
 */
export async function scanBoth(
  ctx: CollectiveContext,
  value: unknown,
  op: ReduceOp,
  radix = 2,
): Promise<{ inclusive: unknown; exclusive: unknown | undefined }> {
  const { rank, size } = ctx;
  const k = Math.max(2, Math.min(radix, size));
  let incl = value;
  let excl: unknown | undefined;
  let hasExcl = false;
  for (let dist = 1; dist < size; dist *= k) {
    const sends: Promise<void>[] = [];
    const bytes = ctx.encode(incl);
    for (let j = 1; j < k && rank + j * dist < size; j++) sends.push(ctx.send(rank + j * dist, bytes));
    // From the farthest (lowest ranks) to the nearest: the order the partials combine in.
    const recvs: Promise<Uint8Array>[] = [];
    for (let j = k - 1; j >= 1; j--) if (rank - j * dist >= 0) recvs.push(ctx.recv(rank - j * dist));
    if (recvs.length > 0) {
      let left: unknown;
      let leftCopy: unknown;
      for (let i = 0; i < recvs.length; i++) {
        // Decoded twice: an op may reuse its operands' storage for its result.
        const b = await recvs[i]!;
        left = i === 0 ? ctx.decode(b) : op.combine(left, ctx.decode(b));
        leftCopy = i === 0 ? ctx.decode(b) : op.combine(leftCopy, ctx.decode(b));
      }
      excl = hasExcl ? op.combine(leftCopy, excl) : leftCopy;
      hasExcl = true;
      incl = op.combine(left, incl);
    }
    await allSent(sends);
  }
  return { inclusive: incl, exclusive: hasExcl ? excl : undefined };
}

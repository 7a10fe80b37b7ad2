import { allSent, type CollectiveContext } from './collective-context.js';
import { children, effectiveRadix, parent, subtreeEnd } from './knomial-tree.js';
import { packParts, unpackParts } from './pack.js';

/**
 * k-nomial scatter of encoded bytes: the root holds one part per rank; each node receives the parts
 * of its subtree (a contiguous range of relative ranks), keeps its own and forwards each child's
 * range, largest subtree first.
 */
export async function scatter(
  ctx: CollectiveContext,
  parts: Uint8Array[] | null,
  root: number,
): Promise<Uint8Array> {
  const { size } = ctx;
  const k = effectiveRadix(ctx.radix, size);
  const vr = (ctx.rank - root + size) % size;
  let mineAndBelow: Uint8Array[];
  if (vr === 0) {
    if (parts === null) throw new Error('internal: scatter root without data');
    mineAndBelow = Array.from({ length: size }, (_, i) => parts[(i + root) % size]!);
  } else {
    mineAndBelow = unpackParts(await ctx.recv((parent(vr, k) + root) % size));
  }
  const kids = children(vr, k, size);
  const sends: Promise<void>[] = [];
  for (let i = kids.length - 1; i >= 0; i--) {
    const c = kids[i]!;
    const slice = mineAndBelow.slice(c - vr, subtreeEnd(c, k, size) - vr);
    sends.push(ctx.send((c + root) % size, packParts(slice)));
  }
  await allSent(sends);
  return mineAndBelow[0]!;
}

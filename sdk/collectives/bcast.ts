import { allSent, type CollectiveContext } from './collective-context.js';
import { children, effectiveRadix, parent } from './knomial-tree.js';

/**
 * k-nomial broadcast of encoded bytes: receive from the parent, forward to the children, largest
 * subtree first so the deepest path starts earliest. Bytes are forwarded as received (encoded once).
 */
export async function bcast(
  ctx: CollectiveContext,
  bytes: Uint8Array | null,
  root: number,
): Promise<Uint8Array> {
  const { size } = ctx;
  const k = effectiveRadix(ctx.radix, size);
  const vr = (ctx.rank - root + size) % size;
  let data = bytes;
  if (vr !== 0) data = await ctx.recv((parent(vr, k) + root) % size);
  if (data === null) throw new Error('internal: bcast root without data');
  const kids = children(vr, k, size);
  if (kids.length === 1) {
    await ctx.send((kids[0]! + root) % size, data);
  } else if (kids.length > 1) {
    const sends: Promise<void>[] = [];
    for (let i = kids.length - 1; i >= 0; i--) sends.push(ctx.send((kids[i]! + root) % size, data));
    await allSent(sends);
  }
  return data;
}

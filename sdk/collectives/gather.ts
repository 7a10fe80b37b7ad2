import type { CollectiveContext } from './collective-context.js';
import { children, effectiveRadix, parent } from './knomial-tree.js';
import { packParts, unpackParts } from './pack.js';

/**
 * k-nomial gather of encoded bytes: each subtree's parts (a contiguous range of relative ranks) are
 * packed and forwarded without decoding; the root returns every rank's bytes in rank order.
 */
export async function gather(
  ctx: CollectiveContext,
  mine: Uint8Array,
  root: number,
): Promise<Uint8Array[] | null> {
  const { size } = ctx;
  const k = effectiveRadix(ctx.radix, size);
  const vr = (ctx.rank - root + size) % size;
  const kids = children(vr, k, size);
  const incoming = kids.map((c) => ctx.recv((c + root) % size));
  const parts: Uint8Array[] = [mine];
  for (const p of incoming) parts.push(...unpackParts(await p));
  if (vr !== 0) {
    await ctx.send((parent(vr, k) + root) % size, packParts(parts));
    return null;
  }
  // parts[i] belongs to relative rank i; rotate back to ranks.
  const out = new Array<Uint8Array>(size);
  for (let i = 0; i < size; i++) out[(i + root) % size] = parts[i]!;
  return out;
}

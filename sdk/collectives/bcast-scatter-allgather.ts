import { allgatherBruck } from './allgather.js';
import type { CollectiveContext } from './collective-context.js';
import { withRadix } from './collective-context.js';
import { scatter } from './scatter.js';

/**
 * Van de Geijn's broadcast for payloads larger than a message: the root cuts the bytes into p
 * chunks, scatters them down a k-nomial tree (radix `scatterRadix`) and every rank gathers the
 * rest with Bruck's allgather (radix `allgatherRadix`). Each message carries about B/p·(subtree)
 * bytes instead of B, so no rank sends the whole payload more than once. Non-roots learn the size
 * from the chunks.
 */
export async function bcastScatterAllgather(
  ctx: CollectiveContext,
  bytes: Uint8Array | null,
  root: number,
  scatterRadix: number = ctx.radix,
  allgatherRadix: number = scatterRadix,
): Promise<Uint8Array> {
  const { size, rank } = ctx;
  let parts: Uint8Array[] | null = null;
  if (rank === root) {
    if (bytes === null) throw new Error('internal: bcast root without data');
    const b = bytes;
    parts = new Array<Uint8Array>(size);
    for (let i = 0; i < size; i++) {
      const lo = Math.floor((i * b.length) / size);
      const hi = Math.floor(((i + 1) * b.length) / size);
      parts[(i + root) % size] = b.subarray(lo, hi);
    }
  }
  const mine = await scatter(withRadix(ctx, scatterRadix), parts, root);
  const all = await allgatherBruck(ctx, mine, allgatherRadix);
  if (rank === root) return bytes!;
  let total = 0;
  for (const c of all) total += c.length;
  const out = new Uint8Array(total);
  let off = 0;
  for (let i = 0; i < size; i++) {
    const c = all[(i + root) % size]!;
    out.set(c, off);
    off += c.length;
  }
  return out;
}

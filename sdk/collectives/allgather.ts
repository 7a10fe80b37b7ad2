import { bcast } from './bcast.js';
import { allSent, type CollectiveContext, withRadix } from './collective-context.js';
import { gather } from './gather.js';
import { effectiveRadix } from './knomial-tree.js';
import { packParts, unpackParts } from './pack.js';

/**
 * Gather to rank 0 (radix `gatherRadix`), then broadcast the packed parts (radix `bcastRadix`):
 * log_kg(p) + log_kb(p) hops, 2(p-1) messages, bytes never re-encoded.
 */
export async function allgather(
  ctx: CollectiveContext,
  mine: Uint8Array,
  gatherRadix: number = ctx.radix,
  bcastRadix: number = gatherRadix,
): Promise<Uint8Array[]> {
  const parts = await gather(withRadix(ctx, gatherRadix), mine, 0);
  const packed = await bcast(withRadix(ctx, bcastRadix), parts === null ? null : packParts(parts), 0);
  return parts ?? unpackParts(packed);
}

/**
 * Bruck's allgather with k ports: in the round of distance D (1, k, k², ...) a rank holding parts
 * r..r+D-1 (mod p) sends them to r - jD and gets r+jD.. from r + jD, for j = 1..k-1, so it then
 * holds r..r+kD-1. ceil(log_k p) hops for any p; radix >= p is the flat exchange (one hop,
 * everyone sends its part to everyone).
 */
export async function allgatherBruck(
  ctx: CollectiveContext,
  mine: Uint8Array,
  radix: number = ctx.radix,
): Promise<Uint8Array[]> {
  const { rank, size } = ctx;
  const k = effectiveRadix(radix, size);
  // held[i] is the part of rank (rank + i) % size.
  const held: Uint8Array[] = [mine];
  for (let d = 1; d < size; d = held.length) {
    const sends: Promise<void>[] = [];
    const recvs: Promise<Uint8Array>[] = [];
    for (let j = 1; j < k && j * d < size; j++) {
      const count = Math.min(d, size - j * d);
      const payload = packParts(held.slice(0, count));
      sends.push(ctx.send((rank - j * d + size) % size, payload));
      recvs.push(ctx.recv((rank + j * d) % size));
    }
    const got = await Promise.all(recvs);
    await allSent(sends);
    for (const g of got) held.push(...unpackParts(g));
  }
  const out = new Array<Uint8Array>(size);
  for (let i = 0; i < size; i++) out[(rank + i) % size] = held[i]!;
  return out;
}

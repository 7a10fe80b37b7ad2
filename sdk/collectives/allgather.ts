import { bcast } from './bcast.js';
import type { CollectiveContext } from './collective-context.js';
import { gather } from './gather.js';
import { packParts, unpackParts } from './pack.js';

/** Gather to rank 0, then broadcast the packed parts: 2·log_k(p) hops, bytes never re-encoded. */
export async function allgather(ctx: CollectiveContext, mine: Uint8Array): Promise<Uint8Array[]> {
  const parts = await gather(ctx, mine, 0);
  const packed = await bcast(ctx, parts === null ? null : packParts(parts), 0);
  return parts ?? unpackParts(packed);
}

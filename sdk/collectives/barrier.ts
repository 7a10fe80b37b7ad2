import type { CollectiveContext } from './collective-context.js';
import { effectiveRadix } from './knomial-tree.js';

const EMPTY = new Uint8Array(0);

/**
 * k-ary dissemination barrier: ceil(log_k p) rounds; in round r each rank signals the k-1 ranks
 * j·k^r ahead of it and waits for the k-1 behind it. No root, so no rank is a hot spot.
 */
export async function barrier(ctx: CollectiveContext): Promise<void> {
  const { rank, size } = ctx;
  const k = effectiveRadix(ctx.radix, size);
  for (let dist = 1; dist < size; dist *= k) {
    const ops: Promise<unknown>[] = [];
    for (let j = 1; j < k && j * dist < size; j++) {
      ops.push(ctx.send((rank + j * dist) % size, EMPTY));
      ops.push(ctx.recv((rank - j * dist + size * k) % size));
    }
    await Promise.all(ops);
  }
}

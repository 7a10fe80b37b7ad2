import { bcast } from './bcast.js';
import type { CollectiveContext } from './collective-context.js';
import { withRadix } from './collective-context.js';
import { effectiveRadix } from './knomial-tree.js';
import { reduceToTreeRoot } from './reduce.js';

const EMPTY = new Uint8Array(0);

/**
 * k-ary dissemination barrier: ceil(log_k p) rounds; in round r each rank signals the k-1 ranks
 * j·k^r ahead of it and waits for the k-1 behind it. No root, so no rank is a hot spot; radix >= p
 * is the flat exchange (one hop, p(p-1) messages).
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

const NOTHING = { combine: () => null, commute: true };

/**
 * Tree barrier: an empty k-nomial reduce to rank 0 (radix `upRadix`), then an empty k-nomial
 * broadcast (radix `downRadix`). 2(p-1) messages, the fewest of any barrier.
 */
export async function barrierTree(
  ctx: CollectiveContext,
  upRadix: number = ctx.radix,
  downRadix: number = upRadix,
): Promise<void> {
  await reduceToTreeRoot(withRadix(ctx, upRadix), null, NOTHING, 0);
  await bcast(withRadix(ctx, downRadix), ctx.rank === 0 ? EMPTY : null, 0);
}

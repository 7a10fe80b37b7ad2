import { children } from './knomial-tree.js';
import { ModelCache } from './model-cache.js';

/** Shapes of the k-nomial tree the counting and the time model need (model root: rank 0). */

const childCountsCache = new ModelCache<Map<number, number>>('k-nomial child counts by (ranks, radix)');

/** [number of children, nodes with that many] for the k-nomial tree of n ranks. */
export function childCounts(n: number, k: number): Map<number, number> {
  return childCountsCache.get(`${n}:${k}`, () => {
    const out = new Map<number, number>();
    for (let vr = 0; vr < n; vr++) {
      const c = children(vr, k, n).length;
      if (c > 0) out.set(c, (out.get(c) ?? 0) + 1);
    }
    return out;
  });
}

/** Ranks in the subtree of `vr` > 0. */
export function subtreeSize(vr: number, k: number, n: number): number {
  let p = 1;
  while (vr % (p * k) === 0) p *= k;
  return Math.min(p, n - vr);
}

export function isLeaf(vr: number, k: number, n: number): boolean {
  return children(vr, k, n).length === 0;
}

/**
 * k-nomial trees over relative ranks 0..size-1, rooted at 0. Radix 2 is the binomial tree; a radix
 * >= size is the flat tree (the root talks to everyone). The subtree of `vr` is the contiguous range
 * [vr, vr + span(vr)), and a node's children, listed smallest subtree first, cover its subtree after
 * itself in increasing order — which is what lets a reduction combine in rank order.
 */

/** Size of the digit position of vr's lowest non-zero base-k digit (its subtree's span); `size` for the root. */
export function span(vr: number, k: number, size: number): number {
  if (vr === 0) return size;
  let p = 1;
  while (vr % (p * k) === 0) p *= k;
  return p;
}

export function parent(vr: number, k: number): number {
  let p = 1;
  while (vr % (p * k) === 0) p *= k;
  const digit = Math.floor(vr / p) % k;
  return vr - digit * p;
}

/** Children of `vr`, ordered by increasing relative rank (smallest subtrees first). */
export function children(vr: number, k: number, size: number): number[] {
  const limit = vr === 0 ? size : span(vr, k, size);
  const out: number[] = [];
  for (let p = 1; p < limit; p *= k) {
    for (let d = 1; d < k; d++) {
      const c = vr + d * p;
      if (d * p >= limit || c >= size) break;
      out.push(c);
    }
  }
  return out;
}

/** End (exclusive) of the subtree of `vr`. */
export function subtreeEnd(vr: number, k: number, size: number): number {
  return Math.min(size, vr + span(vr, k, size));
}

/** Clamps the radix to what makes sense for `size` ranks. */
export function effectiveRadix(radix: number, size: number): number {
  return Math.max(2, Math.min(radix, Math.max(2, size)));
}

/**
 * The round structure of recursive doubling generalized to any radix and any size ("recursive
 * k-ing"): `m` ranks exchange in rounds of radix r_0, r_1, ... (each in [2, k], product `m`); the
 * other `rem = size - m` ranks first fold pairwise into a partner and get the result back at the
 * end (two extra hops on their path).
 *
 * Invariant that keeps non-commutative ops in rank order: the first 2·rem ranks pair up as (2j,
 * 2j+1) → new rank j, the rest shift down by rem, so new ranks map to old ranks monotonically, and
 * round i groups ranks that differ only in their i-th mixed-radix digit (lowest digit first). After
 * rounds 0..i-1 a rank holds the reduction of a contiguous block of stride_i new ranks, and the
 * members of a round-i group hold adjacent blocks in digit order.
 */
export interface RecursivePlan {
  /** Ranks taking part in the rounds: the product of `radices`. */
  readonly m: number;
  /** Ranks folded into a partner before the rounds (`size - m`, at most `m`). */
  readonly rem: number;
  /** Radix of each round, lowest digit (stride 1) first. */
  readonly radices: readonly number[];
}

const cache = new Map<string, RecursivePlan>();

/** The plan with the fewest hops (rounds, plus 2 if any rank folds); ties: fewer folded ranks. */
export function recursivePlan(size: number, radix: number): RecursivePlan {
  const k = Math.max(2, Math.min(radix, Math.max(2, size)));
  const key = `${size}:${k}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let best: RecursivePlan = { m: 1, rem: size - 1, radices: [] };
  if (size === 1) best = { m: 1, rem: 0, radices: [] };
  else {
    let bestHops = Number.POSITIVE_INFINITY;
    // Enough rounds to reach size/2 (so folding pairs suffices), at most log2(size) of them.
    const maxRounds = Math.floor(Math.log2(size) + 1e-9);
    for (let rounds = 1; rounds <= maxRounds; rounds++) {
      if (k ** rounds * 2 < size) continue;
      const radices = largestProduct(size, rounds, k);
      if (radices === undefined) continue;
      const m = radices.reduce((a, b) => a * b, 1);
      const rem = size - m;
      if (rem > m) continue;
      const hops = rounds + (rem > 0 ? 2 : 0);
      if (hops < bestHops || (hops === bestHops && rem < best.rem)) {
        best = { m, rem, radices };
        bestHops = hops;
      }
    }
  }
  cache.set(key, best);
  return best;
}

/** Factors in [2, k], exactly `rounds` of them, whose product is the largest one <= n. */
function largestProduct(n: number, rounds: number, k: number): number[] | undefined {
  let best: number[] | undefined;
  let bestProd = 0;
  const stack: number[] = [];
  // Factors in non-increasing order; prune when even all-k cannot beat the best.
  const search = (prod: number, left: number, maxF: number): void => {
    if (left === 0) {
      if (prod > bestProd) {
        bestProd = prod;
        best = [...stack];
      }
      return;
    }
    if (prod * maxF ** left <= bestProd) return;
    for (let f = Math.min(maxF, Math.floor(n / (prod * 2 ** (left - 1)))); f >= 2; f--) {
      if (prod * f ** left <= bestProd) break;
      stack.push(f);
      search(prod * f, left - 1, f);
      stack.pop();
      if (bestProd === n) return;
    }
  };
  search(1, rounds, k);
  return best;
}

/** Old rank of new rank `nr` under the fold of `rem` pairs. */
export function foldedToOld(nr: number, rem: number): number {
  return nr < rem ? nr * 2 + 1 : nr + rem;
}

/** New rank of old rank `rank`, or -1 for a rank that folds into its odd partner. */
export function oldToFolded(rank: number, rem: number): number {
  if (rank < 2 * rem) return rank % 2 === 0 ? -1 : rank >> 1;
  return rank - rem;
}

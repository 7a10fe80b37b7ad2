import { describe, expect, it } from 'vitest';
import { foldedToOld, oldToFolded, recursivePlan } from '../../../sdk/collectives/recursive-plan.js';

describe('recursive k-ing plans', () => {
  it('cover every rank: the rounds multiply to m, the rest fold into partners, never more than m', () => {
    for (let size = 1; size <= 130; size++) {
      for (const k of [2, 3, 4, 5, 8, 16, 1000]) {
        const { m, rem, radices } = recursivePlan(size, k);
        expect(radices.reduce((a, b) => a * b, 1)).toBe(m);
        expect(m + rem).toBe(size);
        expect(rem).toBeLessThanOrEqual(m);
        for (const r of radices) {
          expect(r).toBeGreaterThanOrEqual(2);
          expect(r).toBeLessThanOrEqual(Math.max(2, Math.min(k, size)));
        }
      }
    }
  });

  it('take log_k(p) rounds when p is a power of k, and one round at radix >= p', () => {
    expect(recursivePlan(64, 2).radices).toEqual([2, 2, 2, 2, 2, 2]);
    expect(recursivePlan(64, 8).radices).toEqual([8, 8]);
    expect(recursivePlan(64, 4).radices).toEqual([4, 4, 4]);
    expect(recursivePlan(64, 64).radices).toEqual([64]);
    expect(recursivePlan(10_000, 128).radices.length).toBe(2);
  });

  it('prefer a mixed radix over folding when it saves hops: 63 at radix 8 is 7·3·3, not 56 + 7 folded', () => {
    const p = recursivePlan(63, 8);
    expect(p.rem).toBe(0);
    expect(p.radices.length).toBe(3);
  });

  it('on equal hops fold fewer ranks: 16 at radix 3 is 2·2·2·2, not 3·3 with 7 folded', () => {
    // Both take 4 hops; the folded ranks cost two extra messages each.
    expect(recursivePlan(16, 3)).toEqual({ m: 16, rem: 0, radices: [2, 2, 2, 2] });
    expect(recursivePlan(81, 8)).toEqual({ m: 81, rem: 0, radices: [3, 3, 3, 3] });
  });

  it('map new ranks to old ranks monotonically, so blocks of new ranks are blocks of old ranks', () => {
    for (const [size, rem] of [
      [7, 3],
      [12, 4],
      [5, 1],
    ] as const) {
      let last = -1;
      for (let nr = 0; nr < size - rem; nr++) {
        const old = foldedToOld(nr, rem);
        expect(old).toBeGreaterThan(last);
        expect(oldToFolded(old, rem)).toBe(nr);
        last = old;
      }
      for (let r = 0; r < 2 * rem; r += 2) expect(oldToFolded(r, rem)).toBe(-1);
    }
  });
});

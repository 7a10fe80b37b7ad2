import { describe, expect, it } from 'vitest';
import {
  estimateClientFanOut,
  DEFAULT_FAN_OUT_PARAMETERS as P,
  planFanOut,
  treeAssignments,
} from '../../../sdk/launch/lambda/fan-out-model.js';

describe('the fan-out model', () => {
  it('prefers client fan-out for tens of ranks, near the region or far from it', () => {
    for (const n of [1, 2, 8, 64]) {
      for (const latencyMs of [30, 250])
        expect(planFanOut(n, { latencyMs }).strategy, `n=${n}`).toBe('client');
    }
  });

  it('turns to a tree for a thousand ranks: the launcher signing 1000 Invokes (or waiting on round trips) is slower than a second level', () => {
    for (const latencyMs of [30, 250]) {
      const plan = planFanOut(1000, { latencyMs });
      expect(plan.strategy).toBe('tree');
      expect(plan.tree!.allStartedMs).toBeLessThan(plan.client.allStartedMs * 0.8);
    }
    // With a (hypothetical) free launcher CPU and a near region, the client would keep up.
    expect(planFanOut(1000, { latencyMs: 10, clientCpuMs: 0.05, clientConcurrency: 256 }).strategy).toBe(
      'client',
    );
  });

  it('charges the per-function scaling step beyond 1000 environments and the launcher CPU', () => {
    const e = estimateClientFanOut(2000, { ...P, latencyMs: 1 });
    expect(e.allStartedMs).toBeGreaterThanOrEqual(P.scalingPeriodMs);
    expect(e.launchMs).toBeGreaterThanOrEqual(2000 * P.clientCpuMs);
  });

  it('can be forced either way', () => {
    expect(planFanOut(10, {}, 'tree')).toMatchObject({ strategy: 'tree' });
    expect(planFanOut(1000, { latencyMs: 250 }, 'client').strategy).toBe('client');
  });

  it('assigns every non-head rank to exactly one head, in contiguous blocks', () => {
    for (const [n, heads] of [
      [10, 3],
      [64, 8],
      [5, 2],
      [1000, 31],
    ] as const) {
      const a = treeAssignments(n, heads);
      expect(a.map((x) => x.head)).toEqual([...Array(heads).keys()]);
      const covered = a.flatMap((x) => Array.from({ length: x.to - x.from }, (_, i) => x.from + i));
      expect(covered).toEqual(Array.from({ length: n - heads }, (_, i) => heads + i));
      for (const x of a) expect(x.from).toBeGreaterThan(x.head);
    }
  });
});

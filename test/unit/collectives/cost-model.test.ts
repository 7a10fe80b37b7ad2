import { describe, expect, it } from 'vitest';
import type { AlgorithmSpec, CollectiveName } from '../../../sdk/collectives/algorithms.js';
import { BANDWIDTH_BYTES, sizeClass } from '../../../sdk/collectives/call-shape.js';
import { candidateRadices, candidates, choose, rank } from '../../../sdk/collectives/choose.js';
import { type Prediction, predict } from '../../../sdk/collectives/predict.js';
import { deleteCalls, receiveCalls } from '../../../sdk/collectives/receive-calls.js';
import { MEMORY_PROFILE, SQS_PROFILE, withProfile } from '../../../sdk/collectives/transport-profile.js';

const small = (collective: CollectiveName, size: number) => ({ collective, size, bytes: 8 });
const hops = (collective: CollectiveName, size: number, spec: AlgorithmSpec) =>
  predict(SQS_PROFILE, small(collective, size), spec).hops;

describe('the cost model counts hops on the critical path of known shapes', () => {
  it('bcast at 64 ranks: binomial 6, 4-nomial 3, 8-nomial 2, flat 1', () => {
    expect(hops('bcast', 64, { name: 'knomial', radix: 2 })).toBe(6);
    expect(hops('bcast', 64, { name: 'knomial', radix: 4 })).toBe(3);
    expect(hops('bcast', 64, { name: 'knomial', radix: 8 })).toBe(2);
    expect(hops('bcast', 64, { name: 'knomial', radix: 64 })).toBe(1);
    expect(hops('bcast', 64, { name: 'knomial', radix: 1000 })).toBe(1);
  });

  it('reduce like bcast; a non-commutative reduce to a root other than 0 takes one more', () => {
    expect(hops('reduce', 64, { name: 'knomial', radix: 2 })).toBe(6);
    expect(hops('reduce', 64, { name: 'knomial', radix: 8 })).toBe(2);
    expect(
      predict(SQS_PROFILE, { ...small('reduce', 64), commute: false, root: 5 }, { name: 'knomial', radix: 8 })
        .hops,
    ).toBe(3);
    expect(
      predict(SQS_PROFILE, { ...small('reduce', 64), commute: false, root: 0 }, { name: 'knomial', radix: 8 })
        .hops,
    ).toBe(2);
  });

  it('allreduce: reduce+bcast binomial 12, recursive doubling 6 (+2 where ranks fold), recursive 8-ing 2, flat 2', () => {
    expect(hops('allreduce', 64, { name: 'reduce-bcast', radix: 2, radix2: 2 })).toBe(12);
    expect(hops('allreduce', 64, { name: 'reduce-bcast', radix: 64, radix2: 64 })).toBe(2);
    expect(hops('allreduce', 64, { name: 'reduce-bcast', radix: 64, radix2: 8 })).toBe(3);
    expect(hops('allreduce', 64, { name: 'recursive', radix: 2 })).toBe(6);
    expect(hops('allreduce', 7, { name: 'recursive', radix: 2 })).toBe(4);
    expect(hops('allreduce', 64, { name: 'recursive', radix: 8 })).toBe(2);
    expect(hops('allreduce', 64, { name: 'recursive', radix: 64 })).toBe(1);
  });

  it('messages: n-1 for a tree, n(n-1) for a flat exchange, n·log2(n) for recursive doubling', () => {
    expect(predict(SQS_PROFILE, small('bcast', 64), { name: 'knomial', radix: 8 }).messages).toBe(63);
    expect(predict(SQS_PROFILE, small('alltoall', 64), { name: 'direct' }).messages).toBe(64 * 63);
    expect(predict(SQS_PROFILE, small('allreduce', 64), { name: 'recursive', radix: 2 }).messages).toBe(
      64 * 6,
    );
    expect(
      predict(SQS_PROFILE, small('allreduce', 64), { name: 'reduce-bcast', radix: 2, radix2: 8 }).messages,
    ).toBe(126);
  });
});

describe('the cost model counts requests', () => {
  it('a bcast costs one send, one receive and one delete per rank reached, whatever the tree', () => {
    for (const radix of [2, 4, 8, 64]) {
      expect(predict(SQS_PROFILE, small('bcast', 64), { name: 'knomial', radix }).requests).toBe(3 * 63);
    }
  });

  it('receive batching makes a flat reduce cheaper than a binomial one', () => {
    const flat = predict(SQS_PROFILE, small('reduce', 64), { name: 'knomial', radix: 64 });
    const binomial = predict(SQS_PROFILE, small('reduce', 64), { name: 'knomial', radix: 2 });
    expect(flat.requests).toBeLessThan(binomial.requests * 0.6);
    expect(flat.usd).toBeLessThan(binomial.usd);
  });

  it('a burst of m messages takes 1 receive call for m = 1, fewer than m calls beyond, about m/10 for large m', () => {
    expect(receiveCalls(1, SQS_PROFILE)).toBe(1);
    expect(deleteCalls(1, SQS_PROFILE)).toBe(1);
    for (const m of [3, 7, 20, 63, 500]) expect(receiveCalls(m, SQS_PROFILE)).toBeLessThan(m);
    expect(receiveCalls(5000, SQS_PROFILE)).toBeGreaterThan(5000 / 10);
    expect(receiveCalls(5000, SQS_PROFILE)).toBeLessThan(5000 / 8);
  });

  it('prices requests at $0.40 per million; payloads over the message limit add an object-store put and get', () => {
    const p = predict(SQS_PROFILE, small('bcast', 2), { name: 'knomial', radix: 2 });
    expect(p.usd).toBeCloseTo(3 * 0.4e-6, 12);
    const big = predict(
      SQS_PROFILE,
      { collective: 'bcast', size: 2, bytes: 4 << 20 },
      { name: 'knomial', radix: 2 },
    );
    expect(big.requests).toBe(3 + 2);
    expect(big.timeMs).toBeGreaterThan(p.timeMs);
  });
});

describe('the cost model predicts time from the latency distribution', () => {
  it('a single hop is two calls: about twice the mean call latency', () => {
    const t = predict(SQS_PROFILE, small('bcast', 2), { name: 'knomial', radix: 2 }).timeMs;
    // Log-normal with median 16 and p99 105: mean = 16·exp(σ²/2) ≈ 22.2 ms.
    expect(t).toBeGreaterThan(2 * 22.2 * 0.9);
    expect(t).toBeLessThan(2 * 22.2 * 1.15);
  });

  it('more hops cost more time at equal fan-out, and a wide flat tree pays for the tail of the slowest of its hops', () => {
    const at = (radix: number) => predict(SQS_PROFILE, small('bcast', 64), { name: 'knomial', radix }).timeMs;
    expect(at(2)).toBeGreaterThan(at(4));
    expect(at(4)).toBeGreaterThan(at(8));
    const oneHop = predict(SQS_PROFILE, small('bcast', 2), { name: 'knomial', radix: 2 }).timeMs;
    expect(at(64)).toBeGreaterThan(2.5 * oneHop);
  });

  it('scales with the profile: ten times the latency, about ten times the time', () => {
    const slow = withProfile(SQS_PROFILE, { callLatency: { p50Ms: 160, p99Ms: 1050 }, cpuMsPerCall: 5 });
    const spec: AlgorithmSpec = { name: 'knomial', radix: 4 };
    const ratio =
      predict(slow, small('bcast', 64), spec).timeMs / predict(SQS_PROFILE, small('bcast', 64), spec).timeMs;
    expect(ratio).toBeGreaterThan(8.5);
    expect(ratio).toBeLessThan(11.5);
  });

  it('ranks sharing one CPU take at least the CPU time of all their calls', () => {
    const shared = withProfile(SQS_PROFILE, { sharedCpus: 1, cpuMsPerCall: 1 });
    const p = predict(shared, small('alltoall', 64), { name: 'direct' });
    expect(p.timeMs).toBeGreaterThanOrEqual(p.requests * 1);
  });
});

describe('choosing an algorithm', () => {
  it('at 64 ranks on SQS, optimizing latency, meets the hop targets: bcast <= 2, reduce <= 2, allreduce <= 3', () => {
    expect(choose(SQS_PROFILE, small('bcast', 64), 'latency').chosen.hops).toBeLessThanOrEqual(2);
    expect(choose(SQS_PROFILE, small('reduce', 64), 'latency').chosen.hops).toBeLessThanOrEqual(2);
    expect(choose(SQS_PROFILE, small('allreduce', 64), 'latency').chosen.hops).toBeLessThanOrEqual(3);
  });

  it('optimizing cost never costs more requests than the latency choice nor than binomial', () => {
    for (const collective of [
      'bcast',
      'reduce',
      'allreduce',
      'gather',
      'scatter',
      'allgather',
      'alltoall',
      'barrier',
      'scan',
    ] as const) {
      for (const size of [8, 32, 64, 1000]) {
        const cost = choose(SQS_PROFILE, small(collective, size), 'cost').chosen;
        const latency = choose(SQS_PROFILE, small(collective, size), 'latency').chosen;
        expect(cost.usd).toBeLessThanOrEqual(latency.usd * 1.0001);
        const binomial = candidates(small(collective, size))
          .filter((c) => (c.radix ?? 2) === 2 && (c.radix2 ?? 2) === 2)
          .map((c) => predict(SQS_PROFILE, small(collective, size), c));
        for (const b of binomial) expect(cost.usd).toBeLessThanOrEqual(b.usd * 1.0001);
      }
    }
  });

  it('where requests and time pull apart the two choices differ: alltoall at 64 is direct for latency, Bruck for cost', () => {
    const latency = choose(SQS_PROFILE, small('alltoall', 64), 'latency').chosen;
    const cost = choose(SQS_PROFILE, small('alltoall', 64), 'cost').chosen;
    expect(latency.algorithm.name).toBe('direct');
    expect(cost.algorithm.name).toBe('bruck');
    expect(cost.requests).toBeLessThan(latency.requests);
    expect(cost.timeMs).toBeGreaterThan(latency.timeMs);
  });

  it('is deterministic: the same shape gives the same choice, from a cold or a warm cache', () => {
    const a = choose(SQS_PROFILE, small('allreduce', 48), 'latency');
    // Another name: another cache entry, computed from scratch.
    const fresh = withProfile(SQS_PROFILE, { name: 'sqs-again' });
    const b = choose(fresh, small('allreduce', 48), 'latency');
    expect(b.chosen).toEqual(a.chosen);
    expect(b.ranked.map((r) => r.label)).toEqual(a.ranked.map((r) => r.label));
  });

  it('tries the bandwidth-minded algorithms only for large payloads, and only element-wise reductions split', () => {
    const names = (shape: Parameters<typeof candidates>[0]) => new Set(candidates(shape).map((c) => c.name));
    expect(names(small('bcast', 64)).has('scatter-allgather')).toBe(false);
    expect(names({ collective: 'bcast', size: 64, bytes: 1 << 20 }).has('scatter-allgather')).toBe(true);
    expect(names({ collective: 'allreduce', size: 64, bytes: 1 << 20 }).has('reduce-scatter-allgather')).toBe(
      false,
    );
    expect(
      names({ collective: 'allreduce', size: 64, bytes: 1 << 20, segmentable: true }).has(
        'reduce-scatter-allgather',
      ),
    ).toBe(true);
  });

  it('a large element-wise allreduce picks reduce-scatter + allgather, a small one does not', () => {
    const big = choose(
      SQS_PROFILE,
      { collective: 'allreduce', size: 64, bytes: 64 << 20, segmentable: true },
      'latency',
    );
    expect(big.chosen.algorithm.name).toBe('reduce-scatter-allgather');
    const little = choose(
      SQS_PROFILE,
      { collective: 'allreduce', size: 64, bytes: 8, segmentable: true },
      'latency',
    );
    expect(little.chosen.algorithm.name).not.toBe('reduce-scatter-allgather');
  });

  it('on shared memory, where a hop is microseconds, optimizing latency still gives a sensible tree', () => {
    const c = choose(MEMORY_PROFILE, small('bcast', 64), 'latency').chosen;
    expect(c.timeMs).toBeLessThan(5);
    expect(c.hops).toBeGreaterThanOrEqual(1);
  });

  it('size classes are powers of two, with a floor for small and unknown payloads', () => {
    expect(sizeClass(1)).toBe(64);
    expect(sizeClass(64)).toBe(64);
    expect(sizeClass(65)).toBe(128);
    expect(sizeClass(1 << 20)).toBe(1 << 20);
    expect(sizeClass((1 << 20) + 1)).toBe(2 << 20);
  });
});

describe('the candidates and how the model orders them', () => {
  it('radices tried: 2, 3 and 4 up to n, powers of two from 8 below n, and n (flat)', () => {
    expect(candidateRadices(1)).toEqual([2]);
    expect(candidateRadices(3)).toEqual([2, 3]);
    expect(candidateRadices(8)).toEqual([2, 3, 4, 8]);
    expect(candidateRadices(9)).toEqual([2, 3, 4, 8, 9]);
    expect(candidateRadices(64)).toEqual([2, 3, 4, 8, 16, 32, 64]);
    expect(candidateRadices(100)).toEqual([2, 3, 4, 8, 16, 32, 64, 100]);
  });

  it('two-radix algorithms pair radices 2, 4, 8 and flat; payloads of BANDWIDTH_BYTES on try the bandwidth-minded ones', () => {
    const pairs = candidates(small('allreduce', 64))
      .filter((c) => c.name === 'reduce-bcast')
      .map((c) => `${c.radix}/${c.radix2}`);
    expect(pairs).toEqual([2, 4, 8, 64].flatMap((k) => [2, 4, 8, 64].map((k2) => `${k}/${k2}`)));
    // The same pairs for the other two-radix algorithms; one-radix ones take every radix.
    const specs = (collective: CollectiveName, name: string) =>
      candidates(small(collective, 64))
        .filter((c) => c.name === name)
        .map((c) => `${c.radix}/${c.radix2}`);
    expect(specs('allgather', 'gather-bcast')).toEqual(pairs);
    expect(specs('barrier', 'tree')).toEqual(pairs);
    expect(specs('bcast', 'knomial')).toEqual(candidateRadices(64).map((k) => `${k}/undefined`));
    const names = (bytes: number) =>
      new Set(candidates({ collective: 'bcast', size: 64, bytes }).map((c) => c.name));
    expect(names(BANDWIDTH_BYTES).has('scatter-allgather')).toBe(true);
    expect(names(BANDWIDTH_BYTES - 1).has('scatter-allgather')).toBe(false);
  });

  const p = (label: string, timeMs: number, usd: number, hops = 1): Prediction => ({
    algorithm: { name: 'knomial', radix: 2 },
    label,
    timeMs,
    hops,
    messages: 1,
    requests: 1,
    usd,
  });
  const order = (ps: Prediction[], optimize: 'latency' | 'cost') => rank(ps, optimize).map((x) => x.label);

  it('near-ties (2%) go to the other criterion, then to fewer hops, then by label', () => {
    // 1% slower for half the money: a near-tie in time, so the cheaper comes first; 3% slower is not.
    expect(order([p('a', 100, 2), p('b', 101, 1)], 'latency')).toEqual(['b', 'a']);
    expect(order([p('a', 100, 2), p('b', 103, 1)], 'latency')).toEqual(['a', 'b']);
    expect(order([p('a', 2, 1), p('b', 1, 1.01)], 'cost')).toEqual(['b', 'a']);
    expect(order([p('b', 100, 1, 1), p('a', 100, 1, 2)], 'latency')).toEqual(['b', 'a']);
    expect(order([p('b', 100, 1), p('a', 100, 1)], 'latency')).toEqual(['a', 'b']);
  });

  it('balanced: first the cheapest of those at most 25% slower for at most half the money, then the rest by time', () => {
    const fastest = p('fastest', 100, 1);
    const usdEdge = p('usd edge', 105, 0.5);
    const timeEdge = p('time edge', 125, 0.3);
    const tooDear = p('too dear', 110, 0.51);
    const tooSlow = p('too slow', 130, 0.1);
    expect(rank([tooSlow, timeEdge, tooDear, fastest, usdEdge], 'balanced').map((x) => x.label)).toEqual([
      'time edge',
      'usd edge',
      'fastest',
      'too dear',
      'too slow',
    ]);
    // None is worth the time: the fastest first.
    expect(rank([tooSlow, tooDear, fastest], 'balanced').map((x) => x.label)).toEqual([
      'fastest',
      'too dear',
      'too slow',
    ]);
  });

  it('where nothing is billed (shared memory), optimizing cost falls back to time', () => {
    expect(order([p('slow', 2, 0), p('fast', 1, 0)], 'cost')).toEqual(['fast', 'slow']);
    const shape = small('allreduce', 64);
    expect(choose(MEMORY_PROFILE, shape, 'cost').chosen.label).toBe(
      choose(MEMORY_PROFILE, shape, 'latency').chosen.label,
    );
  });
});

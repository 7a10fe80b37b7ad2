import { describe, expect, it } from 'vitest';
import { choiceLog } from '../../../sdk/collectives/choice-log.js';
import {
  BALANCED_SAVING,
  BALANCED_SLACK,
  choose,
  OPTIMIZE_VALUES,
  type Optimize,
} from '../../../sdk/collectives/choose.js';
import { hasSharedNodes, nodeGroupsOf } from '../../../sdk/collectives/node-groups.js';
import { SQS_PROFILE } from '../../../sdk/collectives/transport-profile.js';
import { modelPick, twoLevelCandidates } from '../../../sdk/collectives/two-level-model.js';
import type { Comm } from '../../../sdk/comm/comm.js';
import { Op, SUM } from '../../../sdk/index.js';
import { openRank } from '../../../sdk/runtime/run-rank.js';
import { FaultyTransport } from '../../../sdk/transport/faulty/faulty-transport.js';
import { createLoopbackTransports } from '../../../sdk/transport/loopback/loopback-transport.js';
import type { Transport } from '../../../sdk/transport/transport.js';

const CONCAT = Op.create((a: string, b: string) => a + b, false);

/** Reordering, delaying loopback transports that declare the node layout `nodeOf`. */
function world(size: number, nodeOf: (rank: number) => number, seed: number): Transport[] {
  return createLoopbackTransports(size).map((t, i) => {
    const withNodes: Transport = {
      rank: t.rank,
      size: t.size,
      kind: t.kind,
      send: (dst, frame) => t.send(dst, frame),
      start: (onFrames) => t.start(onFrames),
      close: () => t.close(),
      nodeOf,
    };
    return new FaultyTransport(withNodes, { seed: seed * 131 + i });
  });
}

/** Runs `fn` on every rank with the SQS model choosing (as on the sqs backend); results and labels chosen. */
async function run<T>(
  size: number,
  nodeOf: (rank: number) => number,
  fn: (c: Comm) => Promise<T>,
  seed = 1,
  optimize: Optimize = 'latency',
): Promise<{ results: T[]; labels: Set<string> }> {
  const handles = world(size, nodeOf, seed).map((t) => openRank(t));
  for (const h of handles) h.comm.setTuning({ optimize, profile: SQS_PROFILE });
  try {
    const results = await Promise.all(handles.map((h) => fn(h.comm)));
    const labels = new Set(
      handles.flatMap((h) =>
        choiceLog(h.endpoint)
          .list()
          .map((r) => r.algorithm),
      ),
    );
    return { results, labels };
  } finally {
    await Promise.all(handles.map((h) => h.endpoint.close()));
  }
}

const ordered = (n: number) => Array.from({ length: n }, (_, i) => String(i)).join('');

describe('two-level collectives (inside nodes, then between node leaders)', () => {
  it('nodeGroupsOf groups ranks by node, leaders first, and says whether nodes are contiguous', () => {
    expect(nodeGroupsOf(5, (r) => Math.floor(r / 2))).toEqual({
      members: [[0, 1], [2, 3], [4]],
      nodeIndex: [0, 0, 1, 1, 2],
      maxPerNode: 2,
      contiguous: true,
    });
    const strided = nodeGroupsOf(5, (r) => r % 2);
    expect(strided.members).toEqual([
      [0, 2, 4],
      [1, 3],
    ]);
    expect(strided.contiguous).toBe(false);
  });

  for (const [layout, nodeOf] of [
    ['blocks of 3', (r: number) => Math.floor(r / 3)],
    ['blocks of 8', (r: number) => Math.floor(r / 8)],
    ['strided over 3 nodes (not contiguous)', (r: number) => r % 3],
  ] as const) {
    for (const optimize of ['latency', 'balanced', 'cost'] as const)
      it(`bcast, reduce (non-commutative too), allreduce and barrier match the oracle at every root; ${layout}; ${optimize}`, async () => {
        const direct = new Set<string>();
        for (const size of [2, 4, 7, 9, 17]) {
          const roots = [...new Set([0, 1, Math.floor(size / 2), size - 1])];
          const { results, labels } = await run(
            size,
            nodeOf,
            async (c) => {
              const out: unknown[] = [];
              for (const root of roots) {
                out.push(await c.bcast(c.rank === root ? { root } : null, root));
                out.push(await c.reduce(c.rank + 1, SUM, root));
                out.push(await c.reduce(String(c.rank), CONCAT, root));
              }
              out.push(await c.allreduce(c.rank + 1, SUM));
              out.push(await c.allreduce(String(c.rank), CONCAT));
              await c.barrier();
              return out;
            },
            1,
            optimize,
          );
          for (const l of labels) if (l.includes('one batch per node')) direct.add(l);
          results.forEach((got, rank) => {
            const want: unknown[] = [];
            for (const root of roots) {
              want.push({ root });
              want.push(rank === root ? (size * (size + 1)) / 2 : null);
              want.push(rank === root ? ordered(size) : null);
            }
            want.push((size * (size + 1)) / 2, ordered(size));
            expect(got).toEqual(want);
          });
          // The model ran something in two levels wherever nodes were shared, or the test proves little.
          const shared = hasSharedNodes(nodeGroupsOf(size, nodeOf));
          expect([...labels].some((l) => l.startsWith('two-level') || l.startsWith('flat, one batch'))).toBe(
            shared,
          );
        }
        // Cost picks the root-to-every-rank result (bcast; allreduce and barrier after a two-level
        // reduce), so it runs here.
        if (optimize === 'cost') {
          expect([...direct].some((l) => l.startsWith('flat, one batch per node'))).toBe(true);
          expect([...direct].some((l) => l.startsWith('two-level'))).toBe(true);
        }
      });
  }

  it('a barrier in two levels returns on no rank before every rank entered it', async () => {
    const entered: number[] = [];
    const { results, labels } = await run(
      9,
      (r) => Math.floor(r / 4),
      async (c) => {
        for (let i = 0; i < c.rank; i++) await new Promise<void>((r) => setImmediate(r));
        entered.push(c.rank);
        await c.barrier();
        return entered.length;
      },
    );
    expect(results).toEqual(Array(9).fill(9));
    expect([...labels].some((l) => l.startsWith('two-level'))).toBe(true);
  });

  it('the model at 64 ranks, 8 per node, by default (balanced): hops <= 2/2/3 counting shared-memory ones, allreduce requests >= 5x fewer than one rank per node', () => {
    type C = 'bcast' | 'reduce' | 'allreduce';
    const flat = (collective: C, o: Optimize) =>
      choose(SQS_PROFILE, { collective, size: 64, bytes: 8 }, o).chosen;
    const two = (collective: C, o: Optimize) =>
      modelPick(SQS_PROFILE, { collective, size: 64, bytes: 8 }, { nodes: 8, perNode: 8 }, o);
    // Every hop counted (shared memory ones too): bcast goes straight from the root, one batch a node.
    expect(two('bcast', 'balanced').hops).toBe(1);
    expect(two('reduce', 'balanced').hops).toBeLessThanOrEqual(2);
    expect(two('allreduce', 'balanced').hops).toBeLessThanOrEqual(3);
    expect(
      flat('allreduce', 'balanced').requests / two('allreduce', 'balanced').requests,
    ).toBeGreaterThanOrEqual(5);
    for (const o of OPTIMIZE_VALUES) {
      for (const c of ['bcast', 'reduce', 'allreduce'] as const) {
        expect(two(c, o).hops).toBeLessThanOrEqual(flat(c, o).hops + 1);
        expect(two(c, o).requests).toBeLessThan(flat(c, o).requests);
      }
    }
    // Latency still takes the one-SQS-hop exchange between the 8 leaders (more requests, faster).
    expect(two('allreduce', 'latency').label).toContain('flat exchange');
    expect(two('allreduce', 'latency').timeMs).toBeLessThan(two('allreduce', 'balanced').timeMs);
  });

  it('balanced trades at most 25% more time, and only for at least 2x fewer requests', () => {
    for (const collective of ['allreduce', 'barrier', 'allgather', 'alltoall', 'scan', 'bcast'] as const) {
      for (const size of [2, 3, 4, 8, 16, 64]) {
        const shape = { collective, size, bytes: 8 };
        const fast = choose(SQS_PROFILE, shape, 'latency').chosen;
        const b = choose(SQS_PROFILE, shape, 'balanced').chosen;
        if (b.label === fast.label) continue;
        expect(b.timeMs).toBeLessThanOrEqual(fast.timeMs * (1 + BALANCED_SLACK));
        expect(b.usd).toBeLessThanOrEqual(fast.usd * BALANCED_SAVING);
      }
    }
    // 4 ranks: the exchange is one hop against two, so it stays; scan at 4 saves too little to trade.
    expect(choose(SQS_PROFILE, { collective: 'allreduce', size: 4, bytes: 8 }, 'balanced').chosen.label).toBe(
      choose(SQS_PROFILE, { collective: 'allreduce', size: 4, bytes: 8 }, 'latency').chosen.label,
    );
    expect(choose(SQS_PROFILE, { collective: 'scan', size: 4, bytes: 8 }, 'balanced').chosen.label).toBe(
      choose(SQS_PROFILE, { collective: 'scan', size: 4, bytes: 8 }, 'latency').chosen.label,
    );
    // 8 ranks: reduce + bcast, 3x fewer requests for about 23% more time.
    expect(choose(SQS_PROFILE, { collective: 'allreduce', size: 8, bytes: 8 }, 'balanced').chosen.label).toBe(
      'reduce(flat)+bcast(flat)',
    );
  });

  it('the root-to-every-rank result is weighed only where one batch carries a node (<= 10 ranks, <= one message)', () => {
    const labels = (perNode: number, bytes: number) =>
      twoLevelCandidates(
        SQS_PROFILE,
        { collective: 'bcast', size: 4 * perNode, bytes },
        { nodes: 4, perNode },
      ).map((p) => p.label);
    expect(labels(8, 8).some((l) => l.includes('one batch per node'))).toBe(true);
    expect(labels(11, 8).some((l) => l.includes('one batch per node'))).toBe(false);
    expect(labels(8, 200_000).some((l) => l.includes('one batch per node'))).toBe(false);
    expect(
      twoLevelCandidates(
        SQS_PROFILE,
        { collective: 'reduce', size: 32, bytes: 8 },
        { nodes: 4, perNode: 8 },
      ).some((p) => p.label.includes('one batch per node')),
    ).toBe(false);
  });
});

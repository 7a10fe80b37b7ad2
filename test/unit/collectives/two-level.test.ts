import { describe, expect, it } from 'vitest';
import { choiceLog } from '../../../sdk/collectives/choice-log.js';
import { choose } from '../../../sdk/collectives/choose.js';
import { hasSharedNodes, nodeGroupsOf } from '../../../sdk/collectives/node-groups.js';
import { SQS_PROFILE } from '../../../sdk/collectives/transport-profile.js';
import { predictTwoLevel } from '../../../sdk/collectives/two-level-model.js';
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
): Promise<{ results: T[]; labels: Set<string> }> {
  const handles = world(size, nodeOf, seed).map((t) => openRank(t));
  for (const h of handles) h.comm.setTuning({ optimize: 'latency', profile: SQS_PROFILE });
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
    it(`bcast, reduce (non-commutative too), allreduce and barrier match the oracle at every root; ${layout}`, async () => {
      for (const size of [2, 4, 7, 9, 17]) {
        const roots = [...new Set([0, 1, Math.floor(size / 2), size - 1])];
        const { results, labels } = await run(size, nodeOf, async (c) => {
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
        });
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
        expect([...labels].some((l) => l.startsWith('two-level'))).toBe(shared);
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

  it('the model at 64 ranks, 8 per node: hops <= 2/2/3 and no more across nodes than flat; allreduce requests >= 5x fewer when optimizing cost', () => {
    type C = 'bcast' | 'reduce' | 'allreduce';
    const flat = (collective: C, o: 'latency' | 'cost') =>
      choose(SQS_PROFILE, { collective, size: 64, bytes: 8 }, o).chosen;
    const two = (collective: C, o: 'latency' | 'cost') =>
      predictTwoLevel(SQS_PROFILE, { collective, size: 64, bytes: 8 }, { nodes: 8, perNode: 8 }, o);
    // Latency: every hop counted (shared memory ones too), and the SQS ones alone.
    expect(two('bcast', 'latency').hops).toBeLessThanOrEqual(2);
    expect(two('reduce', 'latency').hops).toBeLessThanOrEqual(2);
    expect(two('allreduce', 'latency').hops).toBeLessThanOrEqual(3);
    for (const o of ['latency', 'cost'] as const) {
      for (const c of ['bcast', 'reduce', 'allreduce'] as const) {
        expect(two(c, o).interHops).toBeLessThanOrEqual(flat(c, o).hops);
        expect(two(c, o).requests).toBeLessThan(flat(c, o).requests);
      }
    }
    expect(flat('allreduce', 'cost').requests / two('allreduce', 'cost').requests).toBeGreaterThanOrEqual(5);
  });
});

import { describe, expect, it } from 'vitest';
import { MemoryTransportError } from '../../../../sdk/transport/memory/memory-transport-error.js';
import { addressFrame, readAddress } from '../../../../sdk/transport/node/node-address.js';
import { NodePlan } from '../../../../sdk/transport/node/node-plan.js';
import { NodeRouter } from '../../../../sdk/transport/node/node-router.js';
import { NodeTransport } from '../../../../sdk/transport/node/node-transport.js';
import type { Transport } from '../../../../sdk/transport/transport.js';

/** A transport that records what it is asked to send. */
function recorder(rank: number, fail?: (dst: number) => Error | undefined) {
  const sent: [number, number[]][] = [];
  const t: Transport = {
    rank,
    size: 99,
    kind: 'fake',
    send: (dst, frame) => {
      const err = fail?.(dst);
      if (err !== undefined) return Promise.reject(err);
      sent.push([dst, [...frame]]);
      return Promise.resolve();
    },
    start: () => undefined,
    close: () => Promise.resolve(),
    stats: () => ({
      calls: { SendMessageBatch: sent.length },
      messagesSent: sent.length,
      bytesSent: 0,
      messagesReceived: 0,
    }),
  };
  return { t, sent };
}

describe('NodePlan: ranks in blocks of K, the last node takes the rest', () => {
  it('17 ranks, 8 per node: nodes of 8, 8 and 1', () => {
    const p = new NodePlan(17, 8);
    expect(p.nodes).toBe(3);
    expect([0, 7, 8, 15, 16].map((r) => [p.nodeOf(r), p.localIndex(r)])).toEqual([
      [0, 0],
      [0, 7],
      [1, 0],
      [1, 7],
      [2, 0],
    ]);
    expect([0, 1, 2].map((n) => p.ranksOn(n))).toEqual([8, 8, 1]);
    expect(new NodePlan(3, 8).ranksPerNode).toBe(3);
    expect(() => new NodePlan(4, 0)).toThrow(/`ranksPerNode` to be an integer >= 1, got `0`/);
  });
});

describe('NodeTransport: shared memory inside the node, the node queue (with the destination) outside', () => {
  it('sends to node-mates by local index, to other nodes with the destination rank in front', async () => {
    const local = recorder(1);
    const remote = recorder(0);
    const t = new NodeTransport({ rank: 9, plan: new NodePlan(17, 8), local: local.t, remote: remote.t });
    await t.send(10, new Uint8Array([1]));
    await t.send(16, new Uint8Array([2, 3]));
    await t.sendv(3, [new Uint8Array([4]), new Uint8Array([5])]);
    expect(local.sent).toEqual([[2, [1]]]);
    expect(remote.sent.map(([node, bytes]) => [node, readAddress(new Uint8Array(bytes))])).toEqual([
      [2, { dst: 16, frame: new Uint8Array([2, 3]) }],
      [0, { dst: 3, frame: new Uint8Array([4, 5]) }],
    ]);
    expect([0, 9, 16].map((r) => t.nodeOf(r))).toEqual([0, 1, 2]);
    await expect(t.send(17, new Uint8Array(1))).rejects.toThrow(
      /`dst` to be an integer in \[0, 17\), got `17`/,
    );
    expect(t.stats().calls).toEqual({ SendMessageBatch: 2 });
  });

  it('refuses a local endpoint whose index is not the rank’s place in its node', () => {
    expect(
      () =>
        new NodeTransport({
          rank: 9,
          plan: new NodePlan(17, 8),
          local: recorder(0).t,
          remote: recorder(0).t,
        }),
    ).toThrow(/local index 1, got 0/);
  });
});

describe('NodeRouter: the node’s one receiver, writing frames into its ranks’ rings', () => {
  function router(outbound: Transport, node = 1) {
    let deliver: (frames: Uint8Array[]) => void = () => undefined;
    const inbound: Pick<Transport, 'start' | 'close' | 'stats'> = {
      start: (onFrames) => {
        deliver = onFrames;
      },
      close: () => Promise.resolve(),
    };
    const r = new NodeRouter({ node, plan: new NodePlan(17, 8), inbound, outbound });
    const errors: Error[] = [];
    r.start((e) => errors.push(e));
    return { deliver: (fs: Uint8Array[]) => deliver(fs), errors, r };
  }

  it('hands each frame to its rank by local index, without the address', () => {
    const out = recorder(8);
    const { deliver, errors, r } = router(out.t);
    deliver([addressFrame(9, [new Uint8Array([7])]), addressFrame(15, [new Uint8Array([8, 9])])]);
    expect(out.sent).toEqual([
      [1, [7]],
      [7, [8, 9]],
    ]);
    expect(errors).toEqual([]);
    expect(r.stats().routed).toBe(2);
  });

  it('drops a late duplicate for a rank that has closed; fails once on a frame for another node', async () => {
    const closed = new MemoryTransportError('PEER_CLOSED', 'closed');
    const out = recorder(8, (dst) => (dst === 0 ? closed : undefined));
    const { deliver, errors, r } = router(out.t);
    deliver([addressFrame(8, [new Uint8Array([1])])]);
    await Promise.resolve();
    await Promise.resolve();
    expect(errors).toEqual([]);
    expect(r.stats().droppedForClosedRanks).toBe(1);
    deliver([addressFrame(3, [new Uint8Array([1])]), new Uint8Array([1])]);
    expect(errors.map((e) => e.message)).toEqual([
      "the receiver of node 1 (ranks 8..15) failed: node 1 received a frame for rank 3, which is not one of its ranks (ranks 8..15): something else writes to this job's node queues",
    ]);
  });
});

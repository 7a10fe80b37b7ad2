import { describe, expect, it } from 'vitest';
import { nodeLayoutOf, ONE_NODE, RANK_PER_NODE } from '../../../sdk/comm/node-layout.js';
import { COMM_TYPE_SHARED, SUM, UNDEFINED } from '../../../sdk/index.js';
import { createLoopbackTransports } from '../../../sdk/transport/loopback/loopback-transport.js';
import type { Transport } from '../../../sdk/transport/transport.js';
import { runWorld } from '../../helpers/in-process-world.js';

/** A loopback transport that declares `nodeOf` as given, or (undefined) declares nothing. */
function withNodes(size: number, nodeOf: ((rank: number) => number) | undefined): Transport[] {
  return createLoopbackTransports(size).map((t) => ({
    rank: t.rank,
    size: t.size,
    kind: t.kind,
    send: (dst, frame) => t.send(dst, frame),
    start: (onFrames) => t.start(onFrames),
    close: () => t.close(),
    ...(nodeOf === undefined ? {} : { nodeOf }),
  }));
}

/** Every rank's node communicator, as the world ranks of its members in its rank order. */
const nodeMembers = (size: number, transports: Transport[], key?: (rank: number) => number) =>
  runWorld(
    size,
    async (c) => {
      const node = (await c.splitType(COMM_TYPE_SHARED, key?.(c.rank) ?? c.rank))!;
      return node.allgather(c.rank);
    },
    { transports },
  );

describe('splitType(COMM_TYPE_SHARED) follows the node layout the transport declares', () => {
  it('in-process transports (one process) put every rank on one node', async () => {
    const got = await nodeMembers(5, createLoopbackTransports(5));
    for (const m of got) expect(m).toEqual([0, 1, 2, 3, 4]);
  });

  it('a transport that declares no layout (SQS today) gives one rank per node', async () => {
    const got = await nodeMembers(4, withNodes(4, undefined));
    expect(got).toEqual(got.map((_, r) => [r]));
  });

  it('a declared layout of two ranks per node gives pairs, ordered by key then old rank', async () => {
    const got = await nodeMembers(
      7,
      withNodes(7, (r) => Math.floor(r / 2)),
      (r) => (r === 4 ? 9 : 0),
    );
    expect(got).toEqual([[0, 1], [0, 1], [2, 3], [2, 3], [5, 4], [5, 4], [6]]);
  });

  it('on a sub-communicator, node communicators hold only its members', async () => {
    const got = await runWorld(
      6,
      async (c) => {
        const odd = (await c.split(c.rank % 2))!;
        const node = (await odd.splitType(COMM_TYPE_SHARED))!;
        return [await node.allgather(c.rank), await node.allreduce(c.rank, SUM)];
      },
      { transports: withNodes(6, (r) => (r < 3 ? 0 : 1)) },
    );
    expect(got.map((g) => g[0])).toEqual([[0, 2], [1], [0, 2], [3, 5], [4], [3, 5]]);
    expect(got[3]![1]).toBe(8);
  });
});

describe('nodeLayoutOf', () => {
  it('asks the transport, and assumes one rank per node when it says nothing', () => {
    expect(nodeLayoutOf({ nodeOf: (r: number) => r >> 2 }).nodeOf(9)).toBe(2);
    expect(nodeLayoutOf({}).nodeOf(9)).toBe(9);
    expect(RANK_PER_NODE.nodeOf(3)).toBe(3);
    expect(ONE_NODE.nodeOf(3)).toBe(0);
  });
});

describe("mpi4py's Split and Dup", () => {
  it('are split and dup: the same groups, ranks and separate message spaces', async () => {
    const got = await runWorld(4, async (c) => {
      const half = (await c.Split(c.rank % 2, -c.rank))!;
      const copy = await c.Dup();
      const none = await c.Split(c.rank === 0 ? UNDEFINED : 0);
      const all = (await c.Split())!; // mpi4py's defaults: color 0, key 0 (the old order)
      return [
        half.size,
        half.rank,
        await half.allreduce(c.rank, SUM),
        copy.rank,
        copy.size,
        none === null,
        all.rank,
      ];
    });
    // Rank 0 passed UNDEFINED: null, as from split.
    expect(got).toEqual([
      [2, 1, 2, 0, 4, true, 0],
      [2, 1, 4, 1, 4, false, 1],
      [2, 0, 2, 2, 4, false, 2],
      [2, 0, 4, 3, 4, false, 3],
    ]);
  });
});

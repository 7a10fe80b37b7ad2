// Several ranks per node over SQS (fauxqs): shared memory inside a node, one queue per node
// between nodes, one router per node. What only nodes have; the contract suite itself runs over
// nodes in contract-over-sqs-nodes.test.ts.
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { COMM_TYPE_SHARED, SUM } from '../../../sdk/index.js';
import { useFauxqs } from '../../helpers/fauxqs.js';
import { overSqsNodes } from '../../helpers/sqs-node-world.js';

const fx = useFauxqs({ bucket: 'tsmpi-nodes' });

describe('ranks per node over SQS', () => {
  it('17 ranks, 8 per node: three node queues, point-to-point across and within nodes, with duplicates injected', async () => {
    const prefix = 'tsmpi-nodecount';
    const counted: number[] = [];
    const onQueues = async () => {
      counted.push(
        ((await fx.sqs.send(new ListQueuesCommand({ QueueNamePrefix: `${prefix}-` }))).QueueUrls ?? [])
          .length,
      );
    };
    const { results, injected } = await overSqsNodes(
      fx,
      17,
      8,
      async (c) => {
        // A ring: every rank sends to the next, so frames cross node borders (7->8, 15->16, 16->0).
        const next = (c.rank + 1) % c.size;
        const prev = (c.rank + c.size - 1) % c.size;
        const got: number[] = [];
        for (let i = 0; i < 5; i++) {
          const [, v] = await Promise.all([c.send([c.rank, i], next, i), c.recv(prev, i)]);
          got.push((v as number[])[1]!);
        }
        const shared = await c.splitType(COMM_TYPE_SHARED);
        return { got, node: shared === null ? -1 : shared.size, sum: await c.allreduce(c.rank, SUM) };
      },
      { prefix, onQueues },
    );
    expect(counted).toEqual([3]);
    results.forEach((r, rank) => {
      expect(r.got).toEqual([0, 1, 2, 3, 4]);
      expect(r.node).toBe(rank < 16 ? 8 : 1);
      expect(r.sum).toBe((17 * 16) / 2);
    });
    expect(injected.reduce((n, i) => n + i.duplicates, 0)).toBeGreaterThan(0);
    const left =
      (await fx.sqs.send(new ListQueuesCommand({ QueueNamePrefix: `${prefix}-` }))).QueueUrls ?? [];
    expect(left).toEqual([]);
  });

  it('throttling, 500s, lost responses and partial batch failures between nodes lose no message and keep each pair in order', async () => {
    const size = 9;
    const perPair = 6;
    const { results, injected } = await overSqsNodes(
      fx,
      size,
      4,
      async (c) => {
        const sends: Promise<void>[] = [];
        for (let dst = 0; dst < size; dst++)
          for (let i = 0; i < perPair; i++) sends.push(c.send([c.rank, i], dst, 5));
        const got: number[][] = Array.from({ length: size }, () => []);
        for (let src = 0; src < size; src++)
          for (let i = 0; i < perPair; i++) got[src]!.push(((await c.recv(src, 5)) as number[])[1]!);
        await Promise.all(sends);
        return { got, sum: await c.allreduce(1, SUM) };
      },
      {
        moreFaults: {
          duplicate: 0.1,
          throttle: 0.08,
          serverError: 0.08,
          lostResponse: 0.1,
          partialBatch: 0.15,
        },
      },
    );
    for (const r of results) {
      expect(r.got).toEqual(Array(size).fill([0, 1, 2, 3, 4, 5]));
      expect(r.sum).toBe(size);
    }
    for (const key of [
      'throttles',
      'serverErrors',
      'partialFailures',
      'lostResponses',
      'duplicates',
    ] as const)
      expect(
        injected.reduce((n, i) => n + i[key], 0),
        key,
      ).toBeGreaterThan(0);
  });

  it('a bcast reaches each other node with one SendMessageBatch (its ranks copies gathered), and the direct forms of allreduce and barrier agree with the oracle', async () => {
    const size = 24;
    const calls = 10;
    const { results, transports } = await overSqsNodes(
      fx,
      size,
      8,
      async (c) => {
        const got: unknown[] = [];
        for (let i = 0; i < calls; i++) got.push(await c.bcast(c.rank === 0 ? { i } : null, 0));
        return got;
      },
      { faults: false },
    );
    for (const r of results) expect(r).toEqual(Array.from({ length: calls }, (_, i) => ({ i })));
    // Two other nodes, one send call each per bcast: flat from rank 0, what it sends to a node in
    // one turn leaves in one batch (a send per rank, or one then the rest, would be 8 or 2).
    const sends = transports.reduce((n, t) => n + (t.stats().calls?.SendMessageBatch ?? 0), 0);
    expect(sends).toBe(calls * 2);

    const cost = await overSqsNodes(fx, 19, 8, async (c) => {
      c.setTuning({ optimize: 'cost' });
      const sum = await c.allreduce(c.rank + 1, SUM);
      await c.barrier();
      const again = await c.allreduce([c.rank, 1], SUM);
      return { sum, again };
    });
    for (const r of cost.results) expect(r).toEqual({ sum: (19 * 20) / 2, again: [(19 * 18) / 2, 19] });
  });
});

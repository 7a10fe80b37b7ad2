// The contract suite over SQS (the fauxqs emulator, in this process), with duplicated, shuffled
// and delayed deliveries; at the sizes and roots `sqsWorld` names (see there why), plus what only
// SQS has: offloading through S3, and queues that must not outlive their job.
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { MAXLOC, Op, SUM } from '../../../sdk/index.js';
import { contractSuite } from '../../contract/contract-suite.js';
import { useFauxqs } from '../../helpers/fauxqs.js';
import { overSqs, sqsWorld } from '../../helpers/sqs-world.js';

const fx = useFauxqs({ bucket: 'tsmpi-contract' });
const CONCAT = Op.create((a: string, b: string) => a + b, false);

contractSuite(sqsWorld(fx));

describe('SQS only: faults really injected, S3 offload, no queue left', () => {
  it('every collective in one job gives the oracle result, with duplicates really injected', async () => {
    let duplicates = 0;
    // 5: a size the suite above does not run over SQS (see sqsWorld).
    for (const size of [5]) {
      const root = size - 1;
      const { results, injected } = await overSqs(fx, size, async (c) => {
        const b = await c.bcast(c.rank === root ? { v: 'x' } : null, root);
        const r = await c.reduce(String(c.rank), CONCAT, root);
        const a = await c.allreduce(c.rank + 1, SUM);
        const ml = await c.allreduce([c.rank % 3, c.rank], MAXLOC);
        const g = await c.gather(c.rank * 2, 0);
        const s = await c.scatter(
          c.rank === root ? Array.from({ length: size }, (_, i) => i * i) : null,
          root,
        );
        const ag = await c.allgather(c.rank);
        const a2a = await c.alltoall(Array.from({ length: size }, (_, j) => `${c.rank}>${j}`));
        const sc = await c.scan(1, SUM);
        const ex = await c.exscan(1, SUM);
        await c.barrier();
        return { b, r, a, ml, g, s, ag, a2a, sc, ex };
      });
      duplicates += injected.reduce((n, i) => n + i.duplicates, 0);
      const expectedConcat = Array.from({ length: size }, (_, i) => String(i)).join('');
      results.forEach((res, rank) => {
        expect(res.b).toEqual({ v: 'x' });
        expect(res.r).toBe(rank === root ? expectedConcat : null);
        expect(res.a).toBe((size * (size + 1)) / 2);
        const maxVal = Math.max(...Array.from({ length: size }, (_, i) => i % 3));
        expect(res.ml).toEqual([maxVal, Array.from({ length: size }, (_, i) => i % 3).indexOf(maxVal)]);
        expect(res.g).toEqual(rank === 0 ? Array.from({ length: size }, (_, i) => i * 2) : null);
        expect(res.s).toBe(rank * rank);
        expect(res.ag).toEqual(Array.from({ length: size }, (_, i) => i));
        expect(res.a2a).toEqual(Array.from({ length: size }, (_, i) => `${i}>${rank}`));
        expect(res.sc).toBe(rank + 1);
        expect(res.ex).toBe(rank === 0 ? null : rank);
      });
    }
    expect(duplicates).toBeGreaterThan(0);
  });

  it('a 6 MiB Float64Array bcast goes through S3 and arrives intact', async () => {
    const len = (6 * 1024 * 1024) / 8;
    const { results, transports } = await overSqs(
      fx,
      3,
      async (c) => {
        const buf = new Float64Array(len);
        if (c.rank === 0) for (let i = 0; i < len; i++) buf[i] = i * 0.5;
        await c.Bcast(buf, 0);
        return [buf[0], buf[len - 1], buf.length];
      },
      { faults: false },
    );
    for (const r of results) expect(r).toEqual([0, (len - 1) * 0.5, len]);
    expect(transports.reduce((n, t) => n + (t.stats().offloads ?? 0), 0)).toBeGreaterThan(0);
  });

  it('a job deletes its queues when it ends, also when a rank fails', async () => {
    const prefix = 'tsmpi-leftover';
    const listed = async () =>
      (await fx.sqs.send(new ListQueuesCommand({ QueueNamePrefix: `${prefix}-` }))).QueueUrls ?? [];
    const whileRunning: number[] = [];
    // The listing must see a job's queues while it runs, or an empty one after proves nothing.
    const onQueues = async () => {
      whileRunning.push((await listed()).length);
    };
    await overSqs(fx, 3, (c) => c.allreduce(1, SUM), { prefix, onQueues });
    const failing = overSqs(
      fx,
      2,
      async (c) => {
        if (c.rank === 1) throw new Error('rank 1 fails');
        return c.rank;
      },
      { prefix, onQueues },
    );
    await expect(failing).rejects.toThrow('rank 1 fails');
    expect(whileRunning).toEqual([3, 2]);
    expect(await listed()).toEqual([]);
  });
});

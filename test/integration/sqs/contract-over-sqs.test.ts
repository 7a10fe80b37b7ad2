import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { ANY_SOURCE, MAXLOC, Op, Request, Status, SUM } from '../../../sdk/index.js';
import { createJobQueues, deleteJobQueues } from '../../../sdk/transport/sqs/job-queues.js';
import { SqsTransport } from '../../../sdk/transport/sqs/sqs-transport.js';
import { faultySqs, type InjectedFaults } from '../../helpers/faulty-sqs.js';
import { useFauxqs } from '../../helpers/fauxqs.js';
import { runWorld } from '../../helpers/in-process-world.js';

const fx = useFauxqs({ bucket: 'tsmpi-contract' });
const CONCAT = Op.create((a: string, b: string) => a + b, false);
let jobSeq = 0;

/**
 * Runs `fn` on `size` ranks in this thread, each rank with its own SqsTransport against fauxqs,
 * through a client that duplicates (>= 10%), shuffles and delays what it receives. Queues are
 * created first and deleted after, as the launcher does.
 */
async function overSqs<T>(
  size: number,
  fn: Parameters<typeof runWorld<T>>[1],
  faults = true,
): Promise<{ results: T[]; injected: InjectedFaults[] }> {
  const jobId = `c${process.pid}x${jobSeq++}`;
  const { queueUrls } = await createJobQueues({ client: fx.sqs, prefix: 'tsmpi-test', jobId, size });
  const injected: InjectedFaults[] = [];
  try {
    const transports = queueUrls.map((_, rank) => {
      const f = faultySqs(
        fx.sqs,
        faults ? { duplicate: 0.15, shuffle: true, maxDelayMs: 5, seed: rank + 1 } : {},
      );
      injected.push(f.injected);
      return new SqsTransport({
        rank,
        size,
        queueUrls,
        sqs: f.client,
        s3: fx.s3,
        bucket: fx.bucket,
        jobId,
        binaryAccounting: 'base64',
      });
    });
    const results = await runWorld(size, fn, { transports });
    return { results, injected };
  } finally {
    await deleteJobQueues({ client: fx.sqs, queueUrls });
  }
}

describe('the contract over SQS (fauxqs) with duplicated, shuffled and delayed deliveries', () => {
  it('every collective gives the oracle result at sizes 1-8, with duplicates really injected', async () => {
    let duplicates = 0;
    for (const size of [1, 2, 3, 5, 8]) {
      const root = size - 1;
      const { results, injected } = await overSqs(size, async (c) => {
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

  it('point-to-point streams arrive exactly once and in order from every peer', async () => {
    const size = 4;
    const n = 30;
    const { results } = await overSqs(size, async (c) => {
      const sends: Request<void>[] = [];
      for (let i = 0; i < n; i++)
        for (let d = 0; d < size; d++) if (d !== c.rank) sends.push(c.isend(i, d, 4));
      const seen: number[][] = Array.from({ length: size }, () => []);
      for (let k = 0; k < n * (size - 1); k++) {
        const st = new Status();
        const v = (await c.recv(ANY_SOURCE, 4, st)) as number;
        seen[st.source]!.push(v);
      }
      await Request.waitall(sends);
      return seen;
    });
    results.forEach((seen, rank) => {
      seen.forEach((s, src) => {
        expect(s).toEqual(src === rank ? [] : Array.from({ length: n }, (_, i) => i));
      });
    });
  });

  it('a 6 MiB Float64Array bcast goes through S3 and arrives intact', async () => {
    const len = (6 * 1024 * 1024) / 8;
    const { results } = await overSqs(
      3,
      async (c) => {
        const buf = new Float64Array(len);
        if (c.rank === 0) for (let i = 0; i < len; i++) buf[i] = i * 0.5;
        await c.Bcast(buf, 0);
        return [buf[0], buf[len - 1], buf.length];
      },
      false,
    );
    for (const r of results) expect(r).toEqual([0, (len - 1) * 0.5, len]);
  });

  it('no queue is left behind after the jobs above', async () => {
    const res = await fx.sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'tsmpi-test-' }));
    expect(res.QueueUrls ?? []).toEqual([]);
  });
});

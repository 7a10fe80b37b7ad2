// `run({ backend: 'sqs', ranksPerNode })`: nodes of worker threads sharing memory, one queue and
// one router (in the launcher's thread) per node, against fauxqs; run from dist/ as users do.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { run } from '../../../dist/sdk/index.js';
import { useFauxqs } from '../../helpers/fauxqs.js';

const fx = useFauxqs();
const job = (name: string) => fileURLToPath(new URL(`../../fixtures/jobs/${name}`, import.meta.url));
const quiet = { onOutput: () => {} };

async function queuesLeft(): Promise<string[]> {
  return (await fx.sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'tsmpi-' }))).QueueUrls ?? [];
}

describe('--backend sqs --ranks-per-node K', () => {
  // 7 ranks, 3 per node: nodes of 3, 3 and 1 (worker threads are slow to start on a loaded machine).
  it('7 ranks, 3 per node: 3 queues, splitType gives each node its ranks; no queue left', async () => {
    const split = await run(job('split-type.ts'), {
      ranks: 7,
      backend: 'sqs',
      endpoint: fx.endpoint,
      ranksPerNode: 3,
      ...quiet,
    });
    expect(split.stats.queues).toBe(3);
    expect(split.results).toEqual(Array.from({ length: 7 }, (_, r) => [r < 6 ? 3 : 1, r % 3]));
    expect(await queuesLeft()).toEqual([]);
  });

  it('the allreduce crosses nodes in two levels; the calls of the routers are counted; the trace has a process per node', async () => {
    const trace = join(mkdtempSync(join(tmpdir(), 'tsmpi-nodes-')), 'trace.json');
    const sum = await run(job('allreduce.ts'), {
      ranks: 7,
      backend: 'sqs',
      endpoint: fx.endpoint,
      ranksPerNode: 3,
      trace,
      ...quiet,
    });
    // The trace shows a process per node, holding its ranks' tracks.
    const events = (
      JSON.parse(readFileSync(trace, 'utf8')) as { traceEvents: { ph: string; pid: number; tid: number }[] }
    ).traceEvents;
    const tracks = new Set(events.filter((e) => e.ph === 'X').map((e) => `${e.pid}:${e.tid}`));
    expect([...tracks].sort()).toEqual(
      Array.from({ length: 7 }, (_, r) => `${Math.floor(r / 3)}:${r}`).sort(),
    );
    expect(sum.results.map((r) => (r as { total: number }).total)).toEqual(Array(7).fill(28));
    // The routers' receives are counted with the ranks' sends.
    expect(sum.stats.calls.ReceiveMessage).toBeGreaterThan(0);
    expect(sum.stats.calls.SendMessageBatch).toBeGreaterThan(0);
    expect(sum.stats.calls.CreateQueue).toBe(3);
    // The cost model, knowing the layout, ran the allreduce in two levels.
    const algorithms = (sum.stats.collectives as { collective: string; algorithm: string }[])
      .filter((c) => c.collective === 'allreduce')
      .map((c) => c.algorithm);
    expect(algorithms).toEqual([expect.stringMatching(/^two-level/)]);
    expect(sum.stats.collectivesConsistent).toBe(true);
    expect(await queuesLeft()).toEqual([]);
  });

  it('a failing rank fails the job and its node queues are deleted', async () => {
    await expect(
      run(job('throws.ts'), { ranks: 5, backend: 'sqs', endpoint: fx.endpoint, ranksPerNode: 2, ...quiet }),
    ).rejects.toThrow('boom on rank 1');
    expect(await queuesLeft()).toEqual([]);
  });
});

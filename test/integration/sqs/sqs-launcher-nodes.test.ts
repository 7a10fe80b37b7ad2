// `run({ backend: 'sqs', ranksPerNode })`: nodes of worker threads sharing memory, one queue and
// one router (in the launcher's thread) per node, against fauxqs; run from dist/ as users do.
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
  it('11 ranks, 4 per node: 3 queues, splitType gives each node its ranks, the allreduce crosses nodes; no queue left', async () => {
    const split = await run(job('split-type.ts'), {
      ranks: 11,
      backend: 'sqs',
      endpoint: fx.endpoint,
      ranksPerNode: 4,
      ...quiet,
    });
    expect(split.stats.queues).toBe(3);
    expect(split.results).toEqual(Array.from({ length: 11 }, (_, r) => [r < 8 ? 4 : 3, r % 4]));
    const sum = await run(job('allreduce.ts'), {
      ranks: 11,
      backend: 'sqs',
      endpoint: fx.endpoint,
      ranksPerNode: 4,
      ...quiet,
    });
    expect(sum.results.map((r) => (r as { total: number }).total)).toEqual(Array(11).fill(66));
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

/**
 * Over SQS (fauxqs), as over shared memory: a receive from a returned rank and mismatched
 * collectives fail the job with what happened (issue 11), and leave no queue behind.
 * `--timeout` only guards the tests: without the feature they would time out instead.
 */
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { cli, FIXTURES } from '../../helpers/cli.js';
import { useFauxqs } from '../../helpers/fauxqs.js';

const fx = useFauxqs();
const run = (job: string, ranks: number, extra: string[] = []) =>
  cli([
    'run',
    `${FIXTURES}${job}`,
    '--ranks',
    String(ranks),
    '--backend',
    'sqs',
    '--endpoint',
    fx.endpoint,
    '--json',
    '--timeout',
    '100',
    ...extra,
  ]);

async function queuesLeft(): Promise<string[]> {
  const res = await fx.sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'tsmpi-' }));
  return res.QueueUrls ?? [];
}

describe('--backend sqs: what a job that cannot finish did', () => {
  it('a receive from a returned rank fails the job with the waiting rank, its call and its peer', async () => {
    const r = await run('recv-from-returned.ts', 3);
    expect(r.code).toBe(1);
    const { error } = JSON.parse(r.stdout);
    expect(error.rank).toBe(1);
    expect(error.message).toContain(
      'rank 1 waits in recv(source=0, tag=5) for a message from rank 0, but rank 0 has returned ' +
        '(it sent rank 1 1 message, all received): the job would hang.',
    );
    expect(await queuesLeft()).toEqual([]);
  });

  it('ranks that return with messages still in flight do not fail the job', async () => {
    const r = await run('returns-early.ts', 3);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).results).toEqual([12, 1, 2]);
  });

  // The others wait in allreduce for rank 0, so they see its bcast frame whenever it arrives. (bcast
  // against reduce, where every side only sends, is caught when a rank sees the other's frame
  // before it returns: over shared memory always, over SQS only if the frame is not still in flight.)
  it('bcast on one rank, allreduce on the others: names both calls', async () => {
    const r = await run('collective-mismatch.ts', 3, ['--', '--others', 'allreduce']);
    expect(r.code).toBe(1);
    const { error } = JSON.parse(r.stdout);
    expect(error.message).toMatch(
      /^collective mismatch on COMM_WORLD: rank \d called (bcast|allreduce) \(collective #2\) while rank \d called (bcast|allreduce) \(#2\)\./,
    );
    expect(error.message).toMatch(/bcast.*allreduce|allreduce.*bcast/);
    expect(await queuesLeft()).toEqual([]);
  });
});

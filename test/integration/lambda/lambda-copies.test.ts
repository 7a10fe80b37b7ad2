/**
 * Copies of the rank function (`rankFunctionCopies`) end to end without AWS: the outputs file
 * names two copies (`RankFunctionNames`), the test Lambda endpoint serves both names with the real
 * rank function bundle and records which one each invocation ran on.
 */
import { describe, expect, it } from 'vitest';
import { resolveJob } from '../../../sdk/launch/job-source.js';
import { LambdaLauncher, type LambdaLauncherOptions } from '../../../sdk/launch/lambda/lambda-launcher.js';
import { run } from '../../../sdk/run.js';
import { FIXTURES as SHARED_FIXTURES } from '../../helpers/cli.js';
import { useLocalStack, useStackEnvironment } from '../../helpers/lambda-stack.js';

const stack = useLocalStack({ copies: 2 });
const NAMES = ['tsmpi-lt-rank', 'tsmpi-lt-rank-1'];

useStackEnvironment(stack);

async function invocationsSince(from: number) {
  await stack.lambda.idle();
  const mine = stack.lambda.invocations.slice(from);
  expect(mine.filter((i) => i.outcome?.kind !== 'returned')).toEqual([]);
  expect(await stack.queuesLeft()).toEqual([]);
  return mine.map((i) => ({
    fn: i.functionName,
    event: i.event as { rank: number; spawn?: { from: number; to: number } },
  }));
}

describe('run --backend aws over two copies of the rank function', () => {
  it('client fan-out: the nodes alternate between the copies', async () => {
    const from = stack.lambda.invocations.length;
    const res = await run('pi', {
      ranks: 14,
      backend: 'aws',
      endpoint: stack.fauxqs.endpoint,
      ranksPerNode: 2,
      args: { samples: 14_000 },
    });
    expect(res.results).toHaveLength(14);
    const inv = await invocationsSince(from);
    expect(inv.map((i) => [i.event.rank, i.fn]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(
      Array.from({ length: 7 }, (_, node) => [node * 2, NAMES[node % 2]]),
    );
  });

  it('tree fan-out: heads alternate, and every head invokes its subtree on its own copy', async () => {
    const from = stack.lambda.invocations.length;
    const job = await resolveJob(`${SHARED_FIXTURES}allreduce.ts`);
    const options: LambdaLauncherOptions = { endpoint: stack.fauxqs.endpoint, fanOut: 'tree' };
    try {
      const res = await new LambdaLauncher(options).launch({
        job,
        ranks: 10,
        args: {},
        timeoutMs: undefined,
        onOutput: () => undefined,
      });
      expect(res.results.map((r) => (r as { total: number }).total)).toEqual(new Array(10).fill(55));
    } finally {
      job.dispose();
    }
    const inv = await invocationsSince(from);
    expect(inv.map((i) => i.event.rank).sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    const heads = inv.filter((i) => i.event.spawn !== undefined).sort((a, b) => a.event.rank - b.event.rank);
    expect(heads.length % 2).toBe(0);
    expect(heads.map((h) => h.fn)).toEqual(heads.map((_, i) => NAMES[i % 2]));
    for (const i of inv) {
      const head = heads.find(
        (h) =>
          h.event.rank === i.event.rank ||
          (i.event.rank >= h.event.spawn!.from && i.event.rank < h.event.spawn!.to),
      );
      expect(i.fn, `rank ${i.event.rank}`).toBe(head?.fn);
    }
    expect(new Set(inv.map((i) => i.fn))).toEqual(new Set(NAMES));
  });
});

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERR_ABORTED, ERR_TIMEOUT, JobFailedError, MPIError, run, UsageError } from '../../dist/sdk/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/jobs/${name}`, import.meta.url));
const quiet = { onOutput: () => {} };

describe('run() from code', () => {
  it('returns rank 0 result, every rank result, timings and stats', async () => {
    const lines: string[] = [];
    const res = await run(fixture('allreduce.ts'), {
      ranks: 3,
      args: { x: 1 },
      onOutput: (rank, _stream, line) => lines.push(`${rank}:${line}`),
    });
    expect(res.ok).toBe(true);
    expect(res.backend).toBe('local');
    expect(res.ranks).toBe(3);
    expect(res.result).toEqual({ total: 6, args: { x: 1 } });
    expect(res.results).toHaveLength(3);
    expect(res.timings.totalMs).toBeGreaterThan(0);
    expect(res.stats.messages).toBeGreaterThan(0);
    expect(lines).toContain('0:hi from a sibling module: total = 6');
  });

  it('accepts a file URL and a built-in name', async () => {
    const byUrl = await run(new URL('../fixtures/jobs/allreduce.ts', import.meta.url), {
      ranks: 2,
      ...quiet,
    });
    expect((byUrl.result as { total: number }).total).toBe(3);
    const builtin = await run('scatter-gather', { ranks: 4, ...quiet });
    expect(builtin.result).toEqual([1, 3, 5, 7]);
  });

  it('rejects with JobFailedError naming the failing rank, its error as cause', async () => {
    const err = await run(fixture('throws.ts'), { ranks: 3, ...quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobFailedError);
    expect((err as JobFailedError).rank).toBe(1);
    const cause = (err as JobFailedError).cause as Error;
    expect(cause.message).toBe('boom on rank 1');
    expect(cause.stack).toContain('throws.ts');
  });

  it('a job that fails while loading fails promptly with more ranks than boot at once', async () => {
    // Workers boot a few at a time: the ranks never spawned must not keep the job waiting.
    const err = (await run(fixture('throws-at-load.ts'), { ranks: 40, ...quiet }).catch(
      (e: unknown) => e,
    )) as JobFailedError;
    expect(err).toBeInstanceOf(JobFailedError);
    expect((err.cause as Error).message).toBe('cannot load this job');
  });

  it('abort(code) and timeoutMs fail the job with MPIError causes', async () => {
    const aborted = (await run(fixture('aborts.ts'), { ranks: 3, ...quiet }).catch(
      (e) => e,
    )) as JobFailedError;
    expect(aborted.errorcode).toBe(42);
    expect(aborted.cause).toBeInstanceOf(MPIError);
    expect((aborted.cause as MPIError).errorClass).toBe(ERR_ABORTED);
    // The stack is where the job called abort, not where the launcher noticed it.
    expect((aborted.cause as Error).stack).toMatch(/aborts\.ts:4/);
    const timedOut = (await run(fixture('hangs.ts'), { ranks: 2, timeoutMs: 500, ...quiet }).catch(
      (e) => e,
    )) as JobFailedError;
    expect((timedOut.cause as MPIError).errorClass).toBe(ERR_TIMEOUT);
  });

  it('bad options reject with UsageError naming the option and the value', async () => {
    await expect(run('pi', { ranks: 0 })).rejects.toThrow(UsageError);
    await expect(run('pi', { ranks: 2, rankz: 3 } as never)).rejects.toThrow(/unknown option `rankz`/);
    await expect(run('pi', { ranks: 2, backend: 'gpu' as never })).rejects.toThrow(/`backend`.*gpu/);
    await expect(run('nope', { ranks: 2 })).rejects.toThrow(/unknown job `nope`/);
    // A name of Object.prototype is not a built-in job either.
    await expect(run('constructor', { ranks: 1, args: {} })).rejects.toThrow(/unknown job `constructor`/);
    // A built-in job's misspelled argument is an error, not a run with the default.
    const misspelled = run('pi', { ranks: 2, args: { sample: 5 } });
    await expect(misspelled).rejects.toThrow(UsageError);
    await expect(misspelled).rejects.toThrow(
      /`args` of the built-in job pi .*got `sample`; did you mean `samples`\? \(pi takes `samples`, `seed`, `details`\)/,
    );
    await expect(run('hello', { ranks: 2, args: { verbose: true } })).rejects.toThrow(/\(hello takes none\)/);
  });

  it('ranksPerNode: an integer >= 1; on local only if it keeps all ranks on one node', async () => {
    for (const bad of [0, 2.5, -1, '4', Number.NaN]) {
      await expect(run('pi', { ranks: 4, backend: 'sqs', ranksPerNode: bad as never })).rejects.toThrow(
        /Expected `ranksPerNode` \(--ranks-per-node\) to be an integer in \[1, 4096\], got/,
      );
    }
    await expect(run('pi', { ranks: 8, ranksPerNode: 4 })).rejects.toThrow(
      /ranksPerNode.* 4 with 8 ranks asks for 2 nodes, but on --backend local all ranks share one node/,
    );
    // Checked on aws too (nodes of Lambda invocations, see test/integration/lambda/lambda-nodes.test.ts).
    await expect(run('pi', { ranks: 8, backend: 'aws', ranksPerNode: 0 })).rejects.toThrow(
      /Expected `ranksPerNode` \(--ranks-per-node\) to be an integer/,
    );
    // On local, a K that holds every rank says what local does anyway.
    const res = await run('pi', { ranks: 2, ranksPerNode: 2, args: { samples: 2000 }, onOutput: () => {} });
    expect(res.results).toHaveLength(2);
  });
});

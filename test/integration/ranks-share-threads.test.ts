// Local jobs with more ranks than cores run several ranks in one worker thread
// (sdk/launch/local/rank-worker.ts). Each rank must still behave as if it had its thread: its own
// job module instance, its own output, process.exit ending it (and failing the job, naming it).
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobFailedError, run } from '../../dist/sdk/index.js';
import { localRanksPerThread } from '../../dist/sdk/launch/local/local-launcher.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/jobs/${name}`, import.meta.url));

describe('several ranks per worker thread (local backend)', () => {
  beforeEach(() => {
    process.env.TSMPI_LOCAL_RANKS_PER_THREAD = '4';
  });
  afterEach(() => {
    delete process.env.TSMPI_LOCAL_RANKS_PER_THREAD;
  });

  it('gives each rank its own module instance and its own output, from console, process.stdout and timers', async () => {
    const lines: string[] = [];
    const res = await run(fixture('shares-thread.ts'), {
      ranks: 10,
      onOutput: (rank, stream, line) => lines.push(`${rank} ${stream} ${line}`),
    });
    const results = res.results as { loads: number; total: number; tag: number }[];
    for (const r of results) expect(r).toMatchObject({ loads: 1, total: 45 });
    // Module instances of their own: no two ranks drew the same tag.
    expect(new Set(results.map((r) => r.tag)).size).toBe(10);
    for (let rank = 0; rank < 10; rank++) {
      const mine = lines.filter((l) => l.startsWith(`${rank} `)).sort();
      expect(mine).toEqual(
        [
          `${rank} stderr error from ${rank}`,
          `${rank} stdout log from ${rank}`,
          `${rank} stdout timer from ${rank}`,
          `${rank} stdout write from ${rank}`,
        ].sort(),
      );
    }
    expect(lines).toHaveLength(40);
  });

  it('runs allreduce and barrier in two levels over threads of 8 ranks, in rank order for a non-commutative op', async () => {
    process.env.TSMPI_LOCAL_RANKS_PER_THREAD = '8';
    const n = 20; // threads of 8, 8 and 4 ranks
    const res = await run(fixture('collectives-over-threads.ts'), { ranks: n });
    const ranks = [...Array(n).keys()];
    for (const [rank, r] of (res.results as Record<string, unknown>[]).entries()) {
      const mates = ranks.filter((q) => q % 2 === rank % 2).reverse();
      expect(r).toEqual({
        sum: (n * (n - 1)) / 2,
        order: ranks.join(','),
        subSum: mates.reduce((a, b) => a + b, 0),
        subOrder: mates.join(','),
      });
    }
    const { collectives } = res.stats as unknown as {
      collectives: { collective: string; size: number; algorithm: string }[];
    };
    const algorithms = new Set(collectives.map((c) => `${c.collective} ${c.size}: ${c.algorithm}`));
    // The world's groups by thread are contiguous: both ops go in two levels. The split
    // communicator's (reverse order) are not: its non-commutative allreduce stays flat.
    expect(algorithms).toContain('allreduce 20: two-level(node: flat; leaders: recursive)');
    expect(algorithms).toContain('barrier 20: two-level(node: flat; leaders: dissemination)');
    expect(algorithms).toContain('allreduce 10: recursive doubling');
  });

  it('process.exit in one rank of a shared thread fails the job naming that rank and its code', async () => {
    const err = await run(fixture('shares-thread.ts'), {
      ranks: 8,
      args: { exit: 5 },
      onOutput: () => {},
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobFailedError);
    expect((err as JobFailedError).rank).toBe(5);
    expect((err as Error).message).toMatch(/rank 5 exited with code 3/);
  });

  it('a rank that throws in a shared thread fails the job naming it; the others are stopped', async () => {
    const err = await run(fixture('throws.ts'), { ranks: 8, args: { rank: 6 }, onOutput: () => {} }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(JobFailedError);
    expect((err as JobFailedError).rank).toBe(6);
    expect(((err as JobFailedError).cause as Error).message).toBe('boom on rank 6');
  });
});

describe('localRanksPerThread', () => {
  afterEach(() => {
    delete process.env.TSMPI_LOCAL_RANKS_PER_THREAD;
  });

  it('is one rank a thread up to one a core, then a thread per core', () => {
    expect(localRanksPerThread(1, 2)).toBe(1);
    expect(localRanksPerThread(2, 2)).toBe(1);
    expect(localRanksPerThread(3, 2)).toBe(2);
    expect(localRanksPerThread(64, 2)).toBe(32);
    expect(localRanksPerThread(65, 2)).toBe(33);
    expect(localRanksPerThread(64, 8)).toBe(8);
    expect(localRanksPerThread(5, 1)).toBe(5);
  });

  it('follows TSMPI_LOCAL_RANKS_PER_THREAD, and says what is wrong with a bad value', () => {
    process.env.TSMPI_LOCAL_RANKS_PER_THREAD = '1';
    expect(localRanksPerThread(64, 2)).toBe(1);
    process.env.TSMPI_LOCAL_RANKS_PER_THREAD = 'two';
    expect(() => localRanksPerThread(64, 2)).toThrow(
      /TSMPI_LOCAL_RANKS_PER_THREAD to be a positive integer, got `two`/,
    );
  });
});

// Fixed tuning (the local backend's default) where ranks share threads: allreduce and barrier in
// two levels once threads hold 8 ranks or more (see `overThreads` in select-algorithm.ts).
import { describe, expect, it } from 'vitest';
import type { CollectiveName } from '../../../sdk/collectives/algorithms.js';
import { choiceLog } from '../../../sdk/collectives/choice-log.js';
import { DEFAULT_TUNING } from '../../../sdk/collectives/collective-tuning.js';
import { nodeGroupsOf } from '../../../sdk/collectives/node-groups.js';
import { selectAlgorithm } from '../../../sdk/collectives/select-algorithm.js';
import { Op, SUM } from '../../../sdk/index.js';

const NON_COMMUTATIVE = Op.create((a: string, b: string) => a + b, false);

function pick(collective: CollectiveName, size: number, perThread: number | number[], commute = true) {
  const threadOf = Array.isArray(perThread)
    ? (r: number) => perThread[r]!
    : (r: number) => Math.floor(r / perThread);
  const threads = nodeGroupsOf(size, threadOf);
  const reduceOp = commute ? SUM : NON_COMMUTATIVE;
  return selectAlgorithm(
    DEFAULT_TUNING,
    size,
    collective,
    8,
    { reduceOp: reduceOp as never, value: 1 },
    new Map(),
    choiceLog({}),
    undefined,
    threads,
  ).spec;
}

describe('fixed collectives over shared threads', () => {
  it('run allreduce and barrier in two levels from 8 ranks per thread', () => {
    expect(pick('allreduce', 64, 32)).toEqual({ name: 'two-level', inter: { name: 'recursive', radix: 2 } });
    expect(pick('barrier', 64, 32)).toEqual({
      name: 'two-level',
      inter: { name: 'dissemination', radix: 2 },
    });
    expect(pick('allreduce', 20, 8).name).toBe('two-level');
  });

  it('keep the flat forms below 8 ranks per thread, with one rank per thread, and for bcast and reduce', () => {
    expect(pick('allreduce', 8, 4).name).toBe('recursive');
    expect(pick('barrier', 8, 4).name).toBe('dissemination');
    expect(pick('allreduce', 2, 1).name).toBe('recursive');
    expect(pick('bcast', 64, 32).name).toBe('knomial');
    expect(pick('reduce', 64, 32).name).toBe('knomial');
  });

  it('take a non-commutative allreduce in two levels only where each thread holds a contiguous range', () => {
    expect(pick('allreduce', 16, 8, false).name).toBe('two-level');
    const interleaved = Array.from({ length: 16 }, (_, r) => r % 2);
    expect(pick('allreduce', 16, interleaved, false).name).toBe('recursive');
    expect(pick('allreduce', 16, interleaved, true).name).toBe('two-level');
  });
});

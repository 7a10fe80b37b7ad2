import { randomInt } from 'node:crypto';
import { describeValue } from '../base/describe-value.js';
import type { Comm } from '../comm/comm.js';
import type { JobArgs } from './define-job.js';

/** Reads a whole-number job argument in [1, max] (`--samples 1e8`), with a clear error otherwise. */
export function positiveIntArg(
  args: JobArgs,
  name: string,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = args[name];
  if (v === undefined) return fallback;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 && v <= max) return v;
  throw new Error(
    `Expected job argument \`--${name}\` to be a whole number in [1, ${max}], got ${describeValue(v)}`,
  );
}

/** Seeds are 32-bit (the generators' state is seeded from 32 bits): larger ones would repeat. */
export const MAX_SEED = 2 ** 32 - 1;

/**
 * The run's random seed: `--seed N` when given, else one drawn by rank 0 and broadcast, so every
 * run samples afresh while all ranks agree on the seed (and a run can be repeated with `--seed`).
 */
export async function runSeed(comm: Comm, args: JobArgs): Promise<number> {
  if (args.seed !== undefined) return positiveIntArg(args, 'seed', 1, MAX_SEED);
  return comm.bcast(comm.rank === 0 ? randomInt(1, 2 ** 31) : 0, 0);
}

/** `count` items split over `size` ranks as evenly as possible: rank r's share (they sum to `count`). */
export function shareOf(count: number, rank: number, size: number): number {
  return Math.floor(count / size) + (rank < count % size ? 1 : 0);
}

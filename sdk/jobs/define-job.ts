import type { Comm } from '../comm/comm.js';

/** Job arguments parsed from the command line: `-- --samples 1e8 --fast` gives `{ samples: 1e8, fast: true }`. */
export type JobArgs = Record<string, unknown>;

/** The body of a job: runs once on every rank; rank 0's return value is the job's result. */
export type JobFunction<R = unknown> = (comm: Comm, args: JobArgs) => R | Promise<R>;

const JOB_MARK = Symbol.for('tsmpi-cloud.job');

/** A job: what a job module exports by default. */
export interface Job<R = unknown> {
  readonly [JOB_MARK]: true;
  readonly fn: JobFunction<R>;
}

/**
 * Makes a job: the default export of a job module.
 *
 * @example
 * export default defineJob(async (comm) => comm.allreduce(comm.rank + 1, SUM));
 */
export function defineJob<R>(fn: JobFunction<R>): Job<R> {
  if (typeof fn !== 'function') {
    throw new TypeError(`defineJob expects a function (comm, args) => result, got ${typeof fn}`);
  }
  return Object.freeze({ [JOB_MARK]: true as const, fn });
}

/** Whether `v` was made by `defineJob` (in any copy of this module). */
export function isJob(v: unknown): v is Job {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[JOB_MARK] === true;
}

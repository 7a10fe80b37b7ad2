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
 * Run by `tsmpi-cloud run` or `run()`, it runs on every rank. Started directly as a script
 * (`node my-job.mjs -- args`, `npx tsx my-job.ts`), it runs once, as rank 0 of a world of one, the
 * way `python hello.py` runs an mpi4py program: job arguments come from the command line.
 *
 * @example
 * export default defineJob(async (comm) => comm.allreduce(comm.rank + 1, SUM));
 */
/**
 * Runs a job started as a script (`node job.mjs`): registered by the root entry, which sits above
 * the runtime in the layer order, so this layer never imports the runtime itself.
 */
let scriptRunner: ((callerFile: string, job: Job) => Promise<void>) | undefined;

/** Not for users: the root entry registers how a job file started as a script runs. */
export function registerScriptRunner(run: (callerFile: string, job: Job) => Promise<void>): void {
  scriptRunner = run;
}

export function defineJob<R>(fn: JobFunction<R>): Job<R> {
  if (typeof fn !== 'function') {
    throw new TypeError(`defineJob expects a function (comm, args) => result, got ${typeof fn}`);
  }
  const job: Job<R> = Object.freeze({ [JOB_MARK]: true as const, fn });
  const caller = callerFile();
  if (caller !== undefined && process.argv[1] !== undefined) {
    // After the main script has finished loading: it may still call run() (an app, not a job).
    setImmediate(() => {
      void scriptRunner?.(caller, job as Job);
    });
  }
  return job;
}

/** The file of the module that called `defineJob` (a path or a file: URL), from V8's call sites. */
function callerFile(): string | undefined {
  const saved = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_err, sites) => sites;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder, defineJob);
    return holder.stack?.[0]?.getFileName() ?? undefined;
  } finally {
    Error.prepareStackTrace = saved;
  }
}

/** Whether `v` was made by `defineJob` (in any copy of this module). */
export function isJob(v: unknown): v is Job {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[JOB_MARK] === true;
}
